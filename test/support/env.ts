import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseConfig, type Config } from '../../src/config/index.js';

export const silentLog = pino({ level: 'silent' });

/** A fresh data folder per test; removed by the returned cleanup. */
export function tempDir(prefix = 'fleetbot-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const testConfig = (dataDir: string, env: Record<string, string> = {}): Config =>
  parseConfig({
    FLEETBOT_DATA_DIR: dataDir,
    FLEETBOT_ROLES_DIR: 'templates/roles',
    LOG_LEVEL: 'silent',
    ...env,
  });
