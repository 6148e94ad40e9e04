/**
 * A fake Telegram Bot API server for tests: a real HTTP server on 127.0.0.1 that grammY talks to via
 * `new Bot(fake.token, { client: { apiRoot: fake.apiRoot } })`. It checks every call against the Bot API
 * spec and Telegram's content rules (recording `violations`), keeps chats and messages, long-polls
 * injected updates, applies flood control, and lets tests inject failures. See types.ts for the API.
 */
export { startFakeTelegram } from './fake.js';
export { parseTelegramHtml } from './html.js';
export type { HtmlParseResult } from './html.js';
export type {
  CallbackAnswer,
  CallRecord,
  ChatStats,
  FailureReply,
  FakeChat,
  FakeMessage,
  FakeMessageVersion,
  FakeStats,
  FakeTelegram,
  FakeTelegramOptions,
  FakeUser,
  PressButtonInput,
  SendTextInput,
  Violation,
} from './types.js';
