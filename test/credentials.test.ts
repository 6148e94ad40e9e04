import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

describe('secrets from files (systemd credentials, NAME_FILE)', () => {
  const defer = useCleanups();
  const folder = () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const credentials = path.join(tmp.dir, 'credentials');
    mkdirSync(credentials);
    return { dir: tmp.dir, credentials };
  };

  it("reads fleetbot's and the roles' secrets from $CREDENTIALS_DIRECTORY and NAME_FILE", () => {
    const { dir, credentials } = folder();
    writeFileSync(path.join(credentials, 'TELEGRAM_BOT_TOKEN'), '123456:from-credentials\n');
    writeFileSync(path.join(credentials, 'ANTHROPIC_API_KEY'), 'sk-role-secret');
    writeFileSync(path.join(dir, 'signing'), 'metrics-token-from-a-file\n');
    const config = parseConfig({
      FLEETBOT_DATA_DIR: dir,
      CREDENTIALS_DIRECTORY: credentials,
      FLEETBOT_METRICS_TOKEN_FILE: path.join(dir, 'signing'),
    });
    expect(config.bridges.telegram).toMatchObject({ token: '123456:from-credentials' });
    expect(config.http.metricsToken).toBe('metrics-token-from-a-file');
    expect(config.agentEnv('ANTHROPIC_API_KEY')).toBe('sk-role-secret');
    expect(config.agentEnv('NOT_GIVEN')).toBeUndefined();
    expect(config.secrets).toEqual(
      expect.arrayContaining(['123456:from-credentials', 'metrics-token-from-a-file']),
    );
  });

  it('says which file it cannot read, without a value', () => {
    const { dir } = folder();
    expect(() =>
      parseConfig({ FLEETBOT_DATA_DIR: dir, TELEGRAM_BOT_TOKEN_FILE: path.join(dir, 'missing') }),
    ).toThrow(
      new ConfigError(
        `TELEGRAM_BOT_TOKEN: cannot read TELEGRAM_BOT_TOKEN_FILE (${path.join(dir, 'missing')}): ENOENT; make it a file fleetbot's user can read`,
      ),
    );
  });
});
