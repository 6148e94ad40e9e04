import type { startConsoleBot } from './consoleSession.js';

/**
 * Asks an agent on the console to write `text` to notes.txt (the reference agent's ACP side asks
 * permission for a write), presses Allow once, and waits for the answer that says it wrote it.
 */
export async function allowedNoteWrite(
  s: Awaited<ReturnType<typeof startConsoleBot>>,
  name: string,
  text: string,
): Promise<void> {
  await s.type(`/ask ${name} write notes.txt ${text}`);
  await s.shows(new RegExp(`${name} asks permission`));
  const ask = s.find(new RegExp(`${name} asks permission`))!.versions.at(-1)!;
  await s.type(/\[(\d+)\] Allow once/.exec(ask)![1]!);
  await s.shows(new RegExp(`Wrote ${Buffer.byteLength(`${text}\n`)} bytes to notes\\.txt\\.`));
}
