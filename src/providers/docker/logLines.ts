import { stripControls } from '../../core/chat/text.js';
import type { Engine } from './engine.js';
import { frameReader } from './frames.js';

/** What a log read holds at most; the newest lines are what a person wants. */
const maxLogBytes = 1024 * 1024;

/**
 * The last `lines` lines of a container's or a service's log (`path` is its `/logs` call), read
 * through the Engine's frames, capped, with control characters and blank lines dropped.
 */
export async function logLines(engine: Engine, path: string, what: string, lines: number): Promise<string[]> {
  const bytes = await engine.bytes('GET', path, {
    what,
    query: { stdout: true, stderr: true, tail: lines },
    maxBytes: maxLogBytes,
  });
  return frameReader(maxLogBytes)(bytes)
    .map((f) => f.payload.toString('utf8'))
    .join('')
    .split('\n')
    .map((line) => stripControls(line).trimEnd())
    .filter((line) => line !== '')
    .slice(-lines);
}
