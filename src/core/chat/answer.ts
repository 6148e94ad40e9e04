import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logging.js';
import { createLiveMessage, type LiveMessage } from './liveMessage.js';
import type { Messenger } from './messenger.js';
import { italic } from './outbound.js';
import { firstLines, splitParagraphs } from './paragraphs.js';
import type {
  AnswerStream,
  Button,
  ChatRef,
  MessageRef,
  Outbound,
  SendOptions,
  Span,
  UserRef,
} from './types.js';

/** At most this many messages for one answer; a longer one goes as answer.md with its start inline. */
const maxMessages = 3;
/** What one answer may hold at all: an agent cannot make fleetbot keep more of its words. */
export const maxAnswerChars = 1_000_000;
/** Files one answer may send: an agent cannot flood a chat with documents. */
const maxFiles = 5;
/** A file's name as a chat shows it: no folders, nothing but ordinary characters, not too long. */
const fileName = (name: string): string =>
  (name.split(/[\\/]/).pop() ?? '').replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 80) || 'file.txt';
/** The start of an answer shown inline above answer.md. */
const inline = { lines: 20, chars: 1500 };

export type AnswerOptions = {
  messenger: Messenger;
  chat: ChatRef;
  direct: boolean;
  /** The message the answer replies to (the prompt, or the answer it continues). */
  replyTo?: MessageRef;
  /** Who asked: a stream in a channel is addressed to them. */
  recipient: UserRef;
  /**
   * Each message the running answer comes to be shown on (sent, a stream become a message, sent anew
   * when its edit failed), as soon as it exists: a reply to it, or a press on its buttons, finds it.
   */
  onMessage?: (ref: MessageRef) => void;
  clock: Clock;
  log: Logger;
};

export type Answer = {
  /** More of the answer, as the agent wrote it. */
  append(delta: string): void;
  /**
   * The status under the answer while it runs (`⚙️ 4 steps · running npm test · 42 s`, or one line
   * per step); undefined clears it.
   */
  status(lines: string[] | undefined): void;
  /** Buttons on the answer (Stop, a permission's choices); undefined removes them. */
  buttons(rows: Button[][] | undefined): void;
  /** A file or diff the agent reported: sent after the answer as a document (inline where none can be sent). */
  attach(file: { name: string; content: string }): void;
  /** The answer is complete: the messages people keep, in order. */
  finish(footer?: string): Promise<MessageRef[]>;
  /** The turn ended badly: everything written so far stays, with the reason under it. */
  fail(reason: string): Promise<MessageRef[]>;
};

const linesOf = (text: string): Span[][] => text.split('\n').map((line) => [{ text: line }]);

/**
 * One agent answer in a chat, growing as the agent writes. It streams natively where the platform can
 * (Telegram drafts in private chats, Slack streams in threads) and otherwise sends one message and
 * edits it through the live-message machinery (at most once per the platform's edit interval, newest
 * state only, 429s waited out). A stream cannot carry buttons, so buttons turn it into a message that
 * is edited from then on. At the end the whole text is there, split on paragraphs into at most three
 * messages, or as answer.md with its first lines inline; messages before the last are silent.
 */
export function createAnswer(opts: AnswerOptions): Answer {
  const { messenger, chat, log } = opts;
  const platformLimit = messenger.limits(chat.platform).maxTextLength;
  // Room for the status line or footer, and for rendering that packs less than a full message.
  const partLimit = Math.floor(platformLimit * 0.8);
  const reply: SendOptions = opts.replyTo ? { replyTo: opts.replyTo } : {};
  let body = '';
  let cut = false;
  let statusLine: string | undefined;
  const files: { name: string; content: string }[] = [];
  let buttonRows: Button[][] | undefined;
  let closed = false;
  let stream: AnswerStream | undefined = messenger.startStream(chat, {
    direct: opts.direct,
    recipient: opts.recipient,
    ...reply,
  });
  let live: LiveMessage | undefined;
  /** Turning a stream into an edited message, when buttons arrive. */
  let switching: Promise<void> = Promise.resolve();
  /** While the stream becomes a message there is neither to show on; the switch shows the newest state. */
  let inSwitch = false;
  let streamed: string | undefined;

  const firstPart = (): string => (body.length <= partLimit ? body : splitParagraphs(body, partLimit)[0]!);

  // Footer lines (a status, a failure's reason with the agent's last stderr lines) are italic each,
  // so no platform's markup spans a line break.
  const render = (text: string, footer: string | undefined, buttons: Button[][] | undefined): Outbound => ({
    lines: [
      ...(text === '' ? [] : linesOf(text)),
      ...(footer === undefined ? [] : footer.split('\n').map((line) => [italic(line)])),
    ],
    ...(buttons?.length ? { buttons } : {}),
  });

  const liveMessage = (existing?: MessageRef): LiveMessage =>
    createLiveMessage({
      messenger,
      chat,
      clock: opts.clock,
      log,
      sendOptions: reply,
      ...(existing ? { existing } : {}),
      ...(opts.onMessage ? { onMoved: opts.onMessage } : {}),
    });

  const show = (): void => {
    if (closed || inSwitch) return;
    if (stream) {
      const text = firstPart();
      if (text !== streamed) stream.update(text);
      streamed = text;
      return;
    }
    const view = render(firstPart(), statusLine, buttonRows);
    if (view.lines.length === 0 && !view.buttons) return;
    live ??= liveMessage();
    live.update(view);
  };

  const toMessage = (): void => {
    const ending = stream;
    if (!ending) return;
    stream = undefined;
    inSwitch = true;
    switching = switching.then(async () => {
      try {
        // Not silent: buttons ask something of people (a permission, a way to stop).
        const ref = await ending.finish(render(firstPart(), statusLine, buttonRows));
        opts.onMessage?.(ref);
        live = liveMessage(ref);
      } catch (err) {
        log.warn({ err, chat }, 'could not end an answer stream; the answer goes on as a new message');
        live = liveMessage();
      }
      inSwitch = false;
      show();
    });
  };

  /** The first message's final state: through the stream, the live message, or as a new message. */
  const settleFirst = async (message: Outbound, silent: boolean): Promise<MessageRef> => {
    await switching;
    if (stream) return stream.finish(message, { silent });
    if (!live) return messenger.send(chat, message, { ...reply, silent });
    live.update(message);
    await live.flush();
    if (live.delivered && live.ref) return live.ref;
    // The edit never got through: the whole answer goes out again rather than being lost.
    log.warn({ chat }, 'could not edit an answer into its final state; sending it anew');
    return messenger.send(chat, message, { ...reply, silent });
  };

  /** The agent's files, after the answer: documents where the platform takes them, else inline. */
  const sendFiles = async (): Promise<MessageRef[]> => {
    const refs: MessageRef[] = [];
    for (const file of files) {
      const name = fileName(file.name);
      const content = file.content.slice(0, maxAnswerChars);
      refs.push(
        messenger.sendsDocuments(chat.platform)
          ? await messenger.sendDocument(
              chat,
              { name, content, caption: render(name, undefined, undefined) },
              reply,
            )
          : await messenger.send(
              chat,
              render(`${name}\n${firstLines(content, inline.lines, inline.chars)}`, undefined, undefined),
              reply,
            ),
      );
    }
    return refs;
  };

  const finish = async (footer: string | undefined): Promise<MessageRef[]> => [
    ...(await finishText(footer)),
    ...(await sendFiles()),
  ];

  const finishText = async (footer: string | undefined): Promise<MessageRef[]> => {
    if (closed) throw new Error('this answer has already ended');
    closed = true;
    const note = cut
      ? `(the answer was cut at ${maxAnswerChars.toLocaleString('en')} characters)`
      : undefined;
    const end = [note, footer].filter((s) => s !== undefined).join(' · ') || undefined;
    const parts = splitParagraphs(body, partLimit);
    if (parts.length > maxMessages && messenger.sendsDocuments(chat.platform)) {
      const start = firstLines(body, inline.lines, inline.chars);
      const pointer = `… the whole answer (${body.length.toLocaleString('en')} characters) is in answer.md`;
      const first = await settleFirst(render(`${start}\n${pointer}`, end, buttonRows), true);
      const doc = await messenger.sendDocument(
        chat,
        { name: 'answer.md', content: body, caption: render('answer.md', undefined, undefined) },
        { ...reply },
      );
      return [first, doc];
    }
    const refs: MessageRef[] = [];
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      const message = render(
        part || (parts.length === 1 && !end ? '(no answer)' : ''),
        last ? end : undefined,
        last ? buttonRows : undefined,
      );
      refs.push(
        i === 0
          ? await settleFirst(message, !last)
          : await messenger.send(chat, message, { ...reply, silent: !last }),
      );
    }
    return refs;
  };

  return {
    append(delta) {
      if (closed || cut || delta === '') return;
      const room = maxAnswerChars - body.length;
      if (delta.length > room) cut = true;
      body += delta.slice(0, room);
      show();
    },
    status(lines) {
      statusLine = lines?.join('\n');
      show();
    },
    attach(file) {
      if (!closed && files.length < maxFiles) files.push(file);
    },
    buttons(rows) {
      buttonRows = rows;
      if (stream && rows?.length) toMessage();
      else show();
    },
    finish: (footer) => finish(footer),
    fail(reason) {
      buttonRows = undefined;
      return finish(`⚠️ ${reason}`);
    },
  };
}
