import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { tempDir } from './support/env.js';

/** Waits until a condition holds (a turn ends in its own time, not a job's). */
async function until(what: () => string, holds: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (holds()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what()}`);
}

describe('talking to an agent from the console', () => {
  const defer = useCleanups();

  it('deploys swe alice, asks it, allows a write with a button, then chats on in the same conversation', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startConsoleBot(tmp.dir);
    defer(() => s.stop());

    await s.type('/deploy swe alice');
    expect(s.find(/Deploy alice/)!.versions.at(-1)).toMatch(/^✅ Done: Deploy alice/);
    const dir = s.bot.store.agents.live('alice')!.resources.dir as string;

    await s.type('/ask alice write notes.txt hello from chat');
    await s.shows(/alice asks permission/);
    const card = s.find(/alice asks permission/)!.versions.at(-1)!;
    expect(card).toContain('Write notes.txt');
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(false);
    const allow = /\[(\d+)\] Allow once/.exec(card)![1]!;
    await s.type(allow);
    await s.shows(/Wrote 16 bytes to notes\.txt\./);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('hello from chat\n');
    expect(s.find(/alice asked: Write notes.txt/)!.versions.at(-1)).toMatch(/Allowed once by console:local/);

    await s.type('/chat alice');
    expect(s.lastText()).toMatch(/Your messages here now go to alice/);
    await s.type('list');
    await s.shows(/\. holds:\n- agent\.log[\s\S]*- notes\.txt/);
    // The same conversation, on the same kept process: one session so far.
    const turns = () =>
      s.bot.store.db
        .prepare<[], { conversation_id: number; status: string }>(
          'SELECT conversation_id, status FROM turns ORDER BY id',
        )
        .all();
    await until(
      () => 'both turns are answered',
      () => turns().every((t) => t.status === 'answered'),
    );
    expect(turns()).toHaveLength(2);
    expect(new Set(turns().map((t) => t.conversation_id)).size).toBe(1);
    await s.type('/chat off');
    await s.type('hello?');
    expect(s.lastText()).toMatch(/Commands start with a slash/);
  });
});
