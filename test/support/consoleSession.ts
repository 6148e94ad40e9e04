import { PassThrough } from 'node:stream';
import { createConsoleBridge } from '../../src/bridges/console/index.js';
import { createFleetbot, type Fleetbot, type FleetbotDeps } from '../../src/main.js';
import { silentLog, testConfig } from './env.js';

export type ConsoleMessage = { id: string; versions: string[] };

/** Splits piped console output into messages with every printed version, as a script would read them. */
export function parseConsoleOutput(text: string): ConsoleMessage[] {
  const messages = new Map<string, ConsoleMessage>();
  const blocks = text.split(/^── message (m\d+)(?: \(edited\))? ──\n/m);
  for (let i = 1; i < blocks.length; i += 2) {
    const id = blocks[i]!;
    const body = blocks[i + 1]!.replace(/\n$/, '');
    const message = messages.get(id) ?? { id, versions: [] };
    message.versions.push(body);
    messages.set(id, message);
  }
  return [...messages.values()];
}

/** The bot on the console bridge with its stdin and stdout piped, exactly as `npm start` runs it in a script. */
export async function startConsoleBot(
  dataDir: string,
  env: Record<string, string> = {},
  extra: Pick<FleetbotDeps, 'providers' | 'http'> & Partial<Pick<FleetbotDeps, 'log'>> = {},
) {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const bridge = createConsoleBridge({ input, output, tty: false });
  const bot: Fleetbot = await createFleetbot(testConfig(dataDir, env), {
    bridges: [bridge],
    providerSettings: { local: { healthDeadlineMs: 10_000, stopGraceMs: 2_000, pollIntervalMs: 50 } },
    ...extra,
    log: extra.log ?? silentLog,
  });
  const messages = (): ConsoleMessage[] => parseConsoleOutput(text);
  return {
    bot,
    /** Types a line and waits until the bot has answered it and every job it started has finished. */
    async type(line: string): Promise<void> {
      const before = text.length;
      input.write(`${line}\n`);
      for (let i = 0; i < 200 && text.length === before; i++) await new Promise((r) => setTimeout(r, 10));
      await bot.idle();
    },
    messages,
    /** The final version of the newest message. */
    lastText: (): string => messages().at(-1)?.versions.at(-1) ?? '',
    /** The final version of the newest message whose text matches. */
    find: (pattern: RegExp): ConsoleMessage | undefined =>
      messages().findLast((m) => m.versions.some((v) => pattern.test(v))),
    output: () => text,
    /** Waits until the output shows `pattern`: an answer ends in its own time, not a job's. */
    async shows(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
      for (const end = Date.now() + timeoutMs; Date.now() < end;) {
        if (pattern.test(text)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`the console never showed ${pattern}:\n${text.slice(-2000)}`);
    },
    async stop(): Promise<void> {
      input.end();
      await bot.idle();
      await bot.stop();
    },
  };
}
