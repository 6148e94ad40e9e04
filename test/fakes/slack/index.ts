export { startFakeSlack, type FakeSlack, type SentEnvelope } from './fake.js';
export type { FakeUser } from './payloads.js';
export { userMessage, mention, slashCommand, buttonPress } from './payloads.js';
export type { FakeMessage } from './state.js';
