export { startFakeSlack, type FakeSlack, type SentEnvelope } from './fake.js';
export type { FakeUser } from './payloads.js';
export { directMessage, mention, slashCommand, buttonPress } from './payloads.js';
export type { FakeMessage } from './state.js';
