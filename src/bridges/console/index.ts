import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type {
  Bridge,
  ChatRef,
  InboundHandler,
  MessageRef,
  Outbound,
  UserRef,
} from '../../core/chat/types.js';
import { visibleLength } from '../../core/chat/text.js';
import { renderMessage } from './render.js';

export type ConsoleBridge = Bridge & {
  /** Resolves when the input ends (Ctrl+D, or the end of a piped script). */
  readonly inputClosed: Promise<void>;
};

const chat: ChatRef = { platform: 'console', chatId: 'local' };
const user: UserRef = { platform: 'console', userId: 'local', name: 'console' };

/**
 * The terminal as a chat: each input line is a message from console:local, messages print as blocks,
 * and buttons print as numbers to type. On a terminal an edit rewrites its block in place when it is
 * the last thing on screen; on a pipe each version prints as a new block naming its message.
 */
export function createConsoleBridge(opts: {
  input: Readable;
  output: Writable;
  tty: boolean;
  columns?: () => number;
}): ConsoleBridge {
  const { output, tty } = opts;
  let nextMessage = 1;
  let nextButton = 1;
  const buttons = new Map<number, { ref: MessageRef; id: string }>();
  const buttonsOf = new Map<string, number[]>();
  let last: { messageId: string; rows: number } | undefined;
  let closeInput: () => void = () => undefined;
  const inputClosed = new Promise<void>((resolve) => (closeInput = resolve));
  let rl: ReturnType<typeof createInterface> | undefined;

  const rowsOf = (lines: string[]): number => {
    const width = Math.max(20, opts.columns?.() ?? 80);
    return lines.reduce((n, line) => n + Math.max(1, Math.ceil(visibleLength(line) / width)), 0);
  };

  const print = (ref: MessageRef, message: Outbound, edited: boolean): void => {
    for (const n of buttonsOf.get(ref.messageId) ?? []) buttons.delete(n);
    const numbers: number[] = [];
    const lines = renderMessage(message, {
      color: tty,
      number: (button) => {
        const n = nextButton++;
        buttons.set(n, { ref, id: button.id });
        numbers.push(n);
        return n;
      },
    });
    buttonsOf.set(ref.messageId, numbers);
    if (tty && edited && last?.messageId === ref.messageId) {
      output.write(`\x1b[${last.rows}A\x1b[0J`);
    } else if (!tty) {
      lines.unshift(`── message ${ref.messageId}${edited ? ' (edited)' : ''} ──`);
    }
    output.write(`${lines.join('\n')}\n`);
    last = { messageId: ref.messageId, rows: rowsOf(lines) };
  };

  const note = (text: string): void => {
    output.write(`${text}\n`);
    last = undefined;
  };

  return {
    platform: 'console',
    limits: { maxTextLength: 1_000_000, minEditIntervalMs: 200 },
    inputClosed,

    async start(deliver: InboundHandler) {
      rl = createInterface({ input: opts.input, terminal: false, crlfDelay: Infinity });
      if (tty) note('fleetbot console: type /help for the commands, Ctrl+D to quit.');
      const lines = rl[Symbol.asyncIterator]();
      void (async () => {
        for (let next = await lines.next(); !next.done; next = await lines.next()) {
          const text = next.value.trim();
          if (!text) continue;
          last = undefined; // the typed line sits below the last block now
          const at = new Date();
          if (/^\d{1,6}$/.test(text)) {
            const pressed = buttons.get(Number(text));
            if (!pressed) {
              note(`No button ${text} is showing. Type a number shown in [brackets], or a command.`);
              continue;
            }
            const answer = await deliver({
              kind: 'action',
              chat,
              user,
              direct: true,
              message: pressed.ref,
              actionId: pressed.id,
              at,
            });
            if (answer?.text) note(`  ↳ ${answer.text}`);
            continue;
          }
          await deliver({ kind: 'command', chat, user, direct: true, text, at });
        }
        closeInput();
      })();
    },

    async send(_chat, message) {
      const ref = { chat, messageId: `m${nextMessage++}` };
      print(ref, message, false);
      return ref;
    },

    async edit(ref, message) {
      print(ref, message, true);
    },

    async stop() {
      rl?.close();
    },
  };
}
