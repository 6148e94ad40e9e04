import { spawnSync } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { privateFile } from '../src/core/runtime/privateFiles.js';
import { openStore } from '../src/core/store/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

const modeOf = (file: string): string => (statSync(file).mode & 0o777).toString(8);

describe("fleetbot's data files are its own user's alone", () => {
  const defer = useCleanups();

  it('creates the data folder 0700 and the store and a backup 0600, under a umask of 022', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const data = path.join(tmp.dir, 'data');
    const backup = path.join(tmp.dir, 'backup.db');
    const run = spawnSync(
      'sh',
      ['-c', `umask 022 && exec "${process.execPath}" --import tsx src/cli.ts backup "${backup}"`],
      { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: data } },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(modeOf(data)).toBe('700');
    expect(modeOf(path.join(data, 'fleetbot.db'))).toBe('600');
    expect(modeOf(backup)).toBe('600');
  });

  it('tightens a store, its -wal and -shm, and a log left readable by an older start', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const file = path.join(tmp.dir, 'fleetbot.db');
    openStore(file, systemClock).close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      writeFileSync(f, '', { flag: 'a' });
      chmodSync(f, 0o644);
    }
    const store = openStore(file, systemClock);
    defer(() => store.close());
    store.cursors.set('k', 'v');
    expect([file, `${file}-wal`, `${file}-shm`].map(modeOf)).toEqual(['600', '600', '600']);

    const log = path.join(tmp.dir, 'fleetbot.log');
    writeFileSync(log, 'Send "/pair 123456" to the bot\n', { mode: 0o644 });
    privateFile(log);
    expect(modeOf(log)).toBe('600');
  });
});
