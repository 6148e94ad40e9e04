import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CliOutcome } from '../src/cli/outcome.js';
import type { JobRecord } from '../src/core/api/records.js';
import { acquireInstanceLock } from '../src/core/runtime/instanceLock.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

/** The real entry point, as a script runs it: its exit code, and its JSON document when it printed one. */
function cli(dataDir: string, env: Record<string, string> = {}) {
  return (...args: string[]) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env },
    });
    const json = args.includes('--json') ? (JSON.parse(run.stdout) as CliOutcome) : undefined;
    return { exit: run.status, stdout: run.stdout, stderr: run.stderr, json };
  };
}

const jobOf = (outcome: CliOutcome | undefined): JobRecord => (outcome?.record as { job: JobRecord }).job;

describe('one command from the shell', () => {
  const defer = useCleanups();
  const dataDir = (): string => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    return tmp.dir;
  };

  it('prints the API’s records with --json, follows a job to its end, and exits 4 on a destroy that waits for approval', () => {
    const dir = dataDir();
    const fleetbot = cli(dir);
    const deployed = fleetbot('deploy', 'swe', 'scripted', '--provider', 'local', '--json');
    expect(deployed.exit).toBe(0);
    expect(deployed.json?.status).toBe('ok');
    const db = new Database(path.join(dir, 'fleetbot.db'), { readonly: true });
    const job = db.prepare<[], { id: number; status: string }>('SELECT id, status FROM jobs').get()!;
    const agent = db.prepare<[], { url: string }>("SELECT url FROM agents WHERE name = 'scripted'").get()!;
    db.close();
    expect(jobOf(deployed.json)).toMatchObject({
      id: job.id,
      kind: 'deploy',
      status: 'succeeded',
      agent: { name: 'scripted', provider: 'local', status: 'running', url: agent.url },
    });
    expect(job.status).toBe('succeeded');

    const listed = fleetbot('list', '--json');
    expect(listed.exit).toBe(0);
    expect(listed.json).toEqual({
      status: 'ok',
      record: { agents: [expect.objectContaining({ name: 'scripted', status: 'running', url: agent.url })] },
    });
    expect(fleetbot('list', '--role', 'swe', '--since', '1h', '--json').json?.record).toEqual(
      listed.json?.record,
    );
    expect(fleetbot('list', '--role', 'review', '--json').json).toEqual({
      status: 'ok',
      record: { agents: [] },
    });

    const again = fleetbot('deploy', 'swe', 'scripted', '--json');
    expect(again.exit).toBe(6);
    expect(again.json).toMatchObject({ status: 'conflict', record: null, problem: { kind: 'conflict' } });

    const asked = fleetbot('destroy', 'scripted', '--json');
    expect(asked.exit).toBe(4);
    expect(asked.json).toMatchObject({
      status: 'pending_approval',
      record: { approval: { status: 'pending_approval', kind: 'destroy', requestedBy: 'console:local' } },
    });
    expect(fleetbot('status', 'scripted', '--json').json?.record).toMatchObject({
      agent: { name: 'scripted', status: 'running', health: { state: 'healthy' } },
    });

    // An answer is what `ask` is for: its text on stdout, or its record with --json.
    const answered = fleetbot('ask', 'scripted', 'hello');
    expect(answered.exit).toBe(0);
    expect(answered.stdout).toMatch(/I am the reference agent, running without a model\.[^]*\n$/);
    const answeredJson = fleetbot('ask', 'scripted', 'hello', '--json').json;
    expect(answeredJson?.status).toBe('ok');
    expect(answeredJson?.record).toMatchObject({ status: 'answered' });
    expect((answeredJson?.record as { text: string }).text).toMatch(/^I am the reference agent/);

    const destroyed = fleetbot('destroy', 'scripted', '--yes', '--json');
    expect(destroyed.exit).toBe(0);
    expect(destroyed.json?.status).toBe('ok');
    expect(jobOf(destroyed.json)).toMatchObject({
      kind: 'destroy',
      status: 'succeeded',
      agent: { name: 'scripted', status: 'destroyed' },
    });

    const gone = fleetbot('restart', 'nobody', '--json');
    expect(gone.exit).toBe(5);
    expect(gone.json).toMatchObject({
      status: 'not_found',
      problem: {
        kind: 'not_found',
        detail: expect.stringContaining('There is no agent named nobody') as string,
      },
    });
  }, 120_000);

  it('exits 2 on an unknown command or wrong arguments, 3 on a refusal, with the reason on stderr without --json', () => {
    const fleetbot = cli(dataDir());
    const unknown = fleetbot('deplyo', 'swe', 'alice', '--json');
    expect(unknown.exit).toBe(2);
    expect(unknown.json).toEqual({
      status: 'unknown_command',
      record: null,
      problem: {
        kind: 'not_found',
        detail: expect.stringMatching(/^There is no command deplyo\. Did you mean deploy\?/) as string,
      },
    });

    const wrong = fleetbot('deploy', 'swe', '--json');
    expect(wrong.exit).toBe(2);
    expect(wrong.json).toMatchObject({
      status: 'invalid',
      problem: {
        kind: 'invalid',
        detail: expect.stringMatching(/^Missing <name>\. Usage: \/deploy <role> <name>/) as string,
      },
    });
    const badFlag = fleetbot('list', '--everything');
    expect(badFlag.exit).toBe(2);
    expect(badFlag.stdout).toBe('');
    expect(badFlag.stderr).toBe(
      'fleetbot: Unknown option --everything. Options: --all, --role, --owner, --provider, --status, --since, --until. Usage: /list [--all] [--role R] [--owner O|me] [--provider P] [--status S] [--since DATE|7d] [--until DATE|7d]\n',
    );

    const refused = fleetbot('deploy', 'nope', 'quoted-name', '--json');
    expect(refused.exit).toBe(3);
    expect(refused.json).toMatchObject({
      status: 'refused',
      problem: { kind: 'refused', detail: expect.stringContaining('There is no role "nope"') as string },
    });
    const told = fleetbot('deploy', 'nope', 'quoted-name');
    expect(told.exit).toBe(3);
    expect(told.stderr).toContain('fleetbot: There is no role "nope"');
  }, 120_000);

  it('exits 1 with the job’s final record when the job it started fails', () => {
    const dir = dataDir();
    writeFileSync(
      path.join(dir, 'crash.yaml'),
      'name: crash\ndescription: exits at once\nagent:\n  command: [node, -e, "process.exit(3)"]\n  port: 3100\n  healthPath: /health\n',
    );
    const failed = cli(dir, { FLEETBOT_ROLES_DIR: dir })('deploy', 'crash', 'crasher', '--json');
    expect(failed.exit).toBe(1);
    expect(failed.json?.status).toBe('failed');
    expect(jobOf(failed.json)).toMatchObject({
      kind: 'deploy',
      status: 'rolled_back',
      error: expect.stringContaining('exited with code 3') as string,
    });
  }, 60_000);

  it('exits 7 while the bot owns the data folder, saying where to send the command instead', () => {
    const dir = dataDir();
    const lock = acquireInstanceLock(dir);
    if ('heldBy' in lock) throw new Error('the fresh data folder is locked');
    defer(() => lock.release());
    const busy = cli(dir)('list', '--json');
    expect(busy.exit).toBe(7);
    expect(busy.json).toMatchObject({
      status: 'unavailable',
      problem: {
        kind: 'unavailable',
        detail: expect.stringContaining(`The bot is running (pid ${process.pid})`) as string,
      },
    });
  });

  it('creates an API key as the console admin and prints it on the terminal, storing only its hash', () => {
    const dir = dataDir();
    const created = cli(dir, { LOG_LEVEL: 'trace' })(
      'keys',
      'create',
      'nightly',
      'agents:read',
      '--ttl',
      '30d',
    );
    expect(created.exit).toBe(0);
    expect(created.stdout).toMatch(
      /Key nightly made with agents:read: it acts as api:nightly with viewer rights/,
    );
    const key = /fbk_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0];
    expect(key).toBeDefined();
    // The log goes to stderr at every level; the key only to the terminal's stdout.
    expect(created.stderr).toContain('"msg"');
    expect(created.stderr).not.toContain(key);
    const db = new Database(path.join(dir, 'fleetbot.db'), { readonly: true });
    const row = db
      .prepare<[], { created_by: string; hash: string }>(
        "SELECT created_by, hash FROM api_keys WHERE name = 'nightly'",
      )
      .get()!;
    db.close();
    expect(row.created_by).toBe('console:local');
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);

    // A command without a record (the key is in what it said) gives its text with --json.
    const listed = cli(dir)('keys', '--json');
    expect(listed.exit).toBe(0);
    expect(listed.json).toMatchObject({
      status: 'ok',
      record: null,
      text: expect.stringContaining('nightly') as string,
    });
  }, 60_000);
});
