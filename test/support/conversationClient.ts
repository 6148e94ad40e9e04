import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AgentChannels, AgentProcess } from '../../src/core/fleet/provider.js';

/** The child the channel tests start as a conversation's process (see its header for what it answers). */
export const conversationChild = path.resolve('test/support/conversationChild.mjs');

/** Asks the child one JSON request a line and reads its one-line answer. */
export function conversationClient(child: AgentProcess) {
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async ask<T = Record<string, unknown>>(request: Record<string, unknown>): Promise<T> {
      child.stdin.write(`${JSON.stringify(request)}\n`);
      const next = await answers.next();
      if (next.done) throw new Error(`the child ended without answering; its stderr: ${child.stderrTail()}`);
      return JSON.parse(next.value) as T;
    },
  };
}

/**
 * A child that leaves a process of its own behind (`marker` in its command line), writes 500 lines to
 * stderr and exits with code 3: what a conversation's end must clean up and report.
 */
export async function childThatExits(
  channels: AgentChannels,
): Promise<{ child: AgentProcess; marker: string }> {
  const child = await channels.spawn(['node', conversationChild]);
  const talk = conversationClient(child);
  const marker = `left-at-exit-${Date.now()}`;
  await talk.ask({ leave: marker });
  await talk.ask({ stderr: 500 });
  child.stdin.write(`${JSON.stringify({ exit: 3 })}\n`);
  return { child, marker };
}

/** What the child reports about itself. */
export type ChildReport = {
  uid: number;
  pid: number;
  cwd: string;
  home: string;
  wroteHome: true | string;
  env: Record<string, string>;
  read: Record<string, { text?: string; error?: string }>;
};
