import type { ChatRef, MessageRef, UserRef } from '../chat/types.js';

/**
 * What a turn writes its answer into: one chat message (or a few, or a document) kept up to date
 * while the agent writes. The chat side (src/core/chat/answer.ts) decides how a platform shows it.
 */
export type AnswerSink = {
  /** The next piece of the agent's text. */
  append(delta: string): void;
  /** The status lines under the text (tool steps, queued, continuing); undefined clears them. */
  status(lines: string[] | undefined): void;
  /** A file or diff the agent reported: sent beside the answer as a document, its name cleaned. */
  attach(file: { name: string; content: string }): void;
  /** Ends the answer with the whole text and an optional last line; the refs people may reply to. */
  finish(footer?: string): Promise<MessageRef[]>;
  /** Ends the answer with what went wrong (after whatever text had arrived). */
  fail(reason: string): Promise<MessageRef[]>;
};

export type AnswerOptions = {
  chat: ChatRef;
  direct: boolean;
  /** The person's message the answer replies to, when there is one (a reply, a /chat message). */
  replyTo?: MessageRef;
  recipient: UserRef;
};

export type AnswerFactory = (opts: AnswerOptions) => AnswerSink;
