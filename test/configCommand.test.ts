import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { variables } from '../src/config/index.js';
import type { ResolvedSetting } from '../src/config/settingsReport.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

const token = '123456789:AAExampleTokenThatMustNeverBePrinted';
const tsx = path.resolve('node_modules/tsx/dist/loader.mjs');
const cli = path.resolve('src/cli.ts');

/** `fleetbot config …` run from `cwd`, as a person runs it in the folder that holds their .env. */
const fleetbotConfig = (cwd: string, args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', tsx, cli, 'config', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: path.join(cwd, 'data'), ...env },
  });

describe('fleetbot config', () => {
  const defer = useCleanups();

  it('prints every setting with where it came from, the environment over the env file, secrets only as set or unset', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    writeFileSync(path.join(tmp.dir, '.env'), 'FLEETBOT_CONCURRENCY=8\nFLEETBOT_ADMINS=telegram:42\n');
    const tokenFile = path.join(tmp.dir, 'telegram-token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

    const run = fleetbotConfig(tmp.dir, [], {
      FLEETBOT_CONCURRENCY: '6',
      TELEGRAM_BOT_TOKEN_FILE: tokenFile,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Settings (env file: ${path.join(tmp.dir, '.env')}):`);
    expect(lines).toHaveLength(Object.keys(variables).length + 1);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^FLEETBOT_CONCURRENCY +6 +environment$/),
        expect.stringMatching(new RegExp(`^FLEETBOT_ADMINS +telegram:42 +env file ${tmp.dir}/\\.env$`)),
        expect.stringMatching(new RegExp(`^TELEGRAM_BOT_TOKEN +set +secret file ${tokenFile}$`)),
        expect.stringMatching(/^SLACK_BOT_TOKEN +unset +default$/),
        expect.stringMatching(/^FLEETBOT_APPROVAL_TTL +10m +default$/),
        expect.stringMatching(/^FLEETBOT_HTTP_PORT +\(unset\) +default$/),
      ]),
    );
    expect(run.stdout).not.toContain('AAExample');
  });

  it('--json gives each variable once, a systemd credential named as the source, and no secret value', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const credentials = path.join(tmp.dir, 'credentials');
    mkdirSync(credentials);
    writeFileSync(path.join(credentials, 'TELEGRAM_BOT_TOKEN'), token, { mode: 0o600 });

    const run = fleetbotConfig(tmp.dir, ['--json'], {
      CREDENTIALS_DIRECTORY: credentials,
      LOG_LEVEL: 'debug',
    });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { envFile: string | null; settings: ResolvedSetting[] };
    expect(report.envFile).toBeNull();
    expect(report.settings.map((s) => s.name)).toEqual(Object.keys(variables));
    const byName = new Map(report.settings.map((s) => [s.name, s]));
    expect(byName.get('TELEGRAM_BOT_TOKEN')).toEqual({
      name: 'TELEGRAM_BOT_TOKEN',
      secret: true,
      set: true,
      source: { kind: 'credential', from: path.join(credentials, 'TELEGRAM_BOT_TOKEN') },
    });
    expect(byName.get('LOG_LEVEL')).toEqual({
      name: 'LOG_LEVEL',
      secret: false,
      value: 'debug',
      source: { kind: 'environment' },
    });
    expect(run.stdout).not.toContain('AAExample');
  });

  it('refuses a bad setting as start does: one line naming it, exit code 2', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const run = fleetbotConfig(tmp.dir, [], { FLEETBOT_CONCURRENCY: 'many' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^fleetbot: configuration problem:\nFLEETBOT_CONCURRENCY: /);
    expect(run.stdout).toBe('');
  });
});
