import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConsoleOutput } from './support/consoleSession.js';
import { tempDir } from './support/env.js';

const tmp = tempDir('fleetbot-cli-');
afterAll(() => tmp.cleanup());

/** Runs the real entry point as `npm start` does, with stdin piped: the scripted way to use fleetbot. */
const fleetbot = (input: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: tmp.dir, LOG_LEVEL: 'info', ...env },
  });

// Its tests start fleetbot as processes, each capped at 30 s, which on a loaded machine outlast the
// default 20 s.
describe('the fleetbot command', { timeout: 90_000 }, () => {
  it('deploys from a piped script, exits 0 once the job is done, and leaves the agent running', () => {
    const run = fleetbot('/deploy swe alice\n');
    expect(run.status).toBe(0);
    const card = parseConsoleOutput(run.stdout).find((m) => m.versions[0]!.includes('Deploy alice'))!;
    expect(card.versions.at(-1)).toMatch(/^✅ Done: Deploy alice \(swe, local\)/);
    expect(card.versions.at(-1)).toMatch(/URL: http:\/\/127\.0\.0\.1:\d+/);
    // Logs go to stderr as JSON lines; the secret-free config is visible, the chat is on stdout.
    const ready = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; version?: string })
      .find((line) => line.msg === 'fleetbot is ready');
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(ready?.version).toBe(version);

    const again = fleetbot('/status alice\n/destroy alice\n1\n');
    expect(again.status).toBe(0);
    const texts = parseConsoleOutput(again.stdout).map((m) => m.versions.at(-1)!);
    expect(texts[0]).toMatch(/alice · swe on local · running/);
    expect(texts.some((t) => /^✅ Done: Destroy alice/.test(t))).toBe(true);
  });

  it('refuses to start on a bad setting with one line per problem and exit code 2', () => {
    const run = fleetbot('', { FLEETBOT_CONCURRENCY: '0', FLEETBOT_PROVIDER: 'mars' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^fleetbot: configuration problem:\nFLEETBOT_PROVIDER: .*example: FLEETBOT_PROVIDER=local\nFLEETBOT_CONCURRENCY: .*example: FLEETBOT_CONCURRENCY=4\nSee \.env\.example/m,
    );
    expect(run.stdout).toBe('');
  });
});

describe('a fleetbot command on a data folder that does not exist yet', () => {
  it('makes the folder and runs, instead of crashing with ENOENT', () => {
    const dataDir = `${tmp.dir}/not-yet/data`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'list'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    });
    expect(run.stderr).not.toContain('ENOENT');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/no agents/i);
    expect(existsSync(`${dataDir}/fleetbot.db`)).toBe(true);
  });
});

describe('fleetbot --version', () => {
  it('prints the version package.json holds, before and without any configuration', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--version'], {
      encoding: 'utf8',
      timeout: 30_000,
      // A setting that would stop any other command: --version reads none.
      env: { PATH: process.env.PATH, FLEETBOT_PROVIDER: 'mars' },
    });
    expect(run.stdout).toBe(`fleetbot ${version}\n`);
    expect(run.status).toBe(0);
  });
});
