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
});
