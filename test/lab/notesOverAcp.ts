import { expect } from 'vitest';
import type { AgentSession } from '../../src/core/conversations/protocol.js';
import { shellWord } from '../../src/providers/machine/escape.js';
import { turnRecorder } from '../support/acp/turnRecorder.js';

/**
 * Asks the reference agent, over ACP on a lab machine, to write `words` into notes.txt, allows it
 * once, and checks what the person and the machine show: one permission asked, the answer, and the
 * file in the agent's folder, its own user's, holding the words.
 */
export async function expectNotesWritten(
  session: AgentSession,
  words: string,
  machine: { appDir: string; user: string; asRoot: (command: string) => Promise<string> },
): Promise<void> {
  const turn = turnRecorder(() => Promise.resolve('allow_once'));
  expect(await session.prompt(`write notes.txt ${words}`, turn.events, new AbortController().signal)).toEqual(
    { stop: 'end_turn' },
  );
  expect(turn.seen.permissions.map((p) => p.title)).toEqual(['Write notes.txt']);
  expect(turn.seen.text).toBe(`Wrote ${words.length + 1} bytes to notes.txt.\n`);
  const notes = shellWord(`${machine.appDir}/notes.txt`);
  expect(await machine.asRoot(`stat -c %U ${notes}`)).toBe(`${machine.user}\n`);
  expect(await machine.asRoot(`cat ${notes}`)).toBe(`${words}\n`);
}
