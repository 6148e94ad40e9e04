import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/runtime/logging.js';
import { rotatingLog } from '../src/core/runtime/rotatingLog.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

const messages = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { msg: string }).msg)
    : [];

describe("the console's log file", () => {
  const defer = useCleanups();

  it('rotates at its size limit, keeps the newest lines in numbered files and drops the oldest file', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const file = path.join(tmp.dir, 'fleetbot.log');
    const log = createLogger({
      level: 'info',
      pretty: false,
      destination: rotatingLog(file, { maxBytes: 300, keep: 2 }),
    });
    for (let i = 1; i <= 12; i++) log.info(`line ${i}`);

    const files = [file, `${file}.1`, `${file}.2`];
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(300);
    expect(existsSync(`${file}.3`)).toBe(false);
    // Oldest first across the kept files: what is gone is only the oldest lines.
    const kept = [...files].reverse().flatMap(messages);
    expect(kept.at(-1)).toBe('line 12');
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `line ${13 - kept.length + i}`));
    expect(kept.length).toBeLessThan(12);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it('rotates a file an earlier run left past the limit when it opens it', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const file = path.join(tmp.dir, 'fleetbot.log');
    writeFileSync(file, `${JSON.stringify({ msg: 'old' })}\n`.repeat(20), { mode: 0o600 });
    const log = createLogger({
      level: 'info',
      pretty: false,
      destination: rotatingLog(file, { maxBytes: 100, keep: 3 }),
    });
    log.info('new');
    expect(messages(file)).toEqual(['new']);
    expect(messages(`${file}.1`)).toHaveLength(20);
  });
});
