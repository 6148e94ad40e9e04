import type { startConsoleBot } from './consoleSession.js';

/** Asks to destroy an agent on the console, presses Approve, and returns the destroy card's final text. */
export async function approvedDestroy(
  s: Awaited<ReturnType<typeof startConsoleBot>>,
  name: string,
): Promise<string> {
  await s.type(`/destroy ${name}`);
  await s.type(/\[(\d+)\] Approve destroy/.exec(s.lastText())![1]!);
  return s.find(new RegExp(`Destroy ${name} · job`))!.versions.at(-1)!;
}
