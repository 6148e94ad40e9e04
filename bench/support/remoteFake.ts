import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeChat, FakeUser } from '../../test/fakes/telegram/index.js';

export type FakeReady = { apiRoot: string; token: string };
export type BurstRequest = { chats: { chat: FakeChat; user: FakeUser }[]; text: string };
type BurstReply = { latencies: number[]; violations: number } | { error: string };

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fakeTelegramProcess.ts');

/** Starts the fake Telegram in a child process; `burst` runs chatLoad's commandBurst there. */
export async function startRemoteFake() {
  const child = fork(entry, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [FakeReady];
  return {
    ...ready,
    async burst(chats: BurstRequest['chats'], text: string): Promise<number[]> {
      child.send({ chats, text } satisfies BurstRequest);
      const [reply] = (await once(child, 'message')) as [BurstReply];
      if ('error' in reply) throw new Error(reply.error);
      if (reply.violations > 0) throw new Error(`the bot broke the Bot API ${reply.violations} time(s)`);
      return reply.latencies;
    },
    async close(): Promise<void> {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
export type RemoteFake = Awaited<ReturnType<typeof startRemoteFake>>;
