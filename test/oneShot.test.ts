import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

describe('one command from the shell', () => {
  const defer = useCleanups();

  it('runs one command from the shell with --json, matching what the store recorded, and refuses while the bot runs', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const fleetbot = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: tmp.dir, LOG_LEVEL: 'error' },
      });
    const deployed = fleetbot('deploy', 'swe', 'scripted', '--yes', '--json');
    expect(deployed.status).toBe(0);
    const report = JSON.parse(deployed.stdout) as {
      ok: boolean;
      jobs: { id: number; status: string; agent: { url: string } }[];
    };
    const db = new Database(path.join(tmp.dir, 'fleetbot.db'), { readonly: true });
    const job = db.prepare<[], { id: number; status: string }>('SELECT id, status FROM jobs').get()!;
    const agent = db.prepare<[], { url: string }>("SELECT url FROM agents WHERE name = 'scripted'").get()!;
    db.close();
    expect(report).toMatchObject({
      ok: true,
      jobs: [{ id: job.id, status: job.status, agent: { url: agent.url } }],
    });

    const destroyed = fleetbot('destroy', 'scripted', '--yes', '--json');
    expect(destroyed.status).toBe(0);
    expect((JSON.parse(destroyed.stdout) as { jobs: { kind: string; status: string }[] }).jobs).toEqual([
      expect.objectContaining({ kind: 'destroy', status: 'succeeded' }),
    ]);
    const refused = fleetbot('deploy', 'nope', 'x1y', '--json');
    expect(refused.status).toBe(0);
    expect(refused.stdout).toContain('There is no role \\"nope\\"');
  });

  it('creates an API key as the console admin and prints it on the terminal, storing only its hash', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const created = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'keys', 'create', 'nightly', 'agents:read', '--ttl', '30d'],
      { encoding: 'utf8', env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: tmp.dir, LOG_LEVEL: 'trace' } },
    );
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(
      /Key nightly made with agents:read: it acts as api:nightly with viewer rights/,
    );
    const key = /fbk_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0];
    expect(key).toBeDefined();
    // The log goes to stderr at every level; the key only to the terminal's stdout.
    expect(created.stderr).toContain('"msg"');
    expect(created.stderr).not.toContain(key);
    const db = new Database(path.join(tmp.dir, 'fleetbot.db'), { readonly: true });
    const row = db
      .prepare<[], { created_by: string; hash: string }>(
        "SELECT created_by, hash FROM api_keys WHERE name = 'nightly'",
      )
      .get()!;
    db.close();
    expect(row.created_by).toBe('console:local');
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
