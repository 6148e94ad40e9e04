import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type {
  AnswerStream,
  Bridge,
  ChatRef,
  InboundHandler,
  MessageRef,
  Outbound,
  UserRef,
} from '../../core/chat/types.js';
import { stripControls, visibleLength } from '../../core/chat/text.js';
import { renderMessage } from './render.js';

export type ConsoleBridge = Bridge & {
  /** Resolves when the input ends (Ctrl+D, or the end of a piped script). */
  readonly inputClosed: Promise<void>;
};

const chat: ChatRef = { platform: 'console', chatId: 'local' };
const user: UserRef = { platform: 'console', userId: 'local', name: 'console' };

/**
 * The terminal as a chat: each input line is a command (with a slash) or a plain message from
 * console:local, messages print as blocks, and buttons print as numbers to type. On a terminal an edit
 * rewrites its block in place when it is the last thing on screen; on a pipe each version prints as a
 * new block naming its message. A streamed answer prints as it comes, and its final message as an edit.
 */
export function createConsoleBridge(opts: {
  input: Readable;
  output: Writable;
  tty: boolean;
  columns?: () => number;
}): ConsoleBridge {
  const { output, tty } = opts;
  let nextMessage = 1;
  let nextTyped = 1;
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

  const newRef = (): MessageRef => ({ chat, messageId: `m${nextMessage++}` });

  const startStream = (): AnswerStream => {
    let ref: MessageRef | undefined;
    let shown = '';
    const endLine = (): void => {
      if (shown !== '' && !shown.endsWith('\n')) output.write('\n');
    };
    return {
      update(text) {
        if (!text.startsWith(shown) || text === shown) return;
        if (!ref) {
          ref = newRef();
          if (!tty) output.write(`── message ${ref.messageId} ──\n`);
        }
        output.write(stripControls(text.slice(shown.length)));
        shown = text;
        last = { messageId: ref.messageId, rows: rowsOf(shown.split('\n')) };
      },
      async finish(message) {
        endLine();
        const final = ref ?? newRef();
        print(final, message, ref !== undefined);
        return final;
      },
      async abandon() {
        endLine();
      },
    };
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
          if (text.startsWith('/')) await deliver({ kind: 'command', chat, user, direct: true, text, at });
          else
            await deliver({
              kind: 'message',
              chat,
              user,
              direct: true,
              text,
              message: { chat, messageId: `u${nextTyped++}` },
              at,
            });
        }
        closeInput();
      })();
    },

    async send(_chat, message) {
      const ref = newRef();
      print(ref, message, false);
      return ref;
    },

    startStream,

    async sendDocument(_chat, doc) {
      const ref = newRef();
      const caption = doc.caption?.lines ?? [];
      print(
        ref,
        { ...doc.caption, lines: [...caption, [{ text: `📎 ${doc.name}` }], [{ text: doc.content }]] },
        false,
      );
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
