export { startFakeHetzner, type FakeHetzner, type FakeHetznerOptions } from './fake-hetzner.js';
export type { FakeImage, FakeServer } from './views.js';
export type { ServerStatus } from './state.js';
export type { InjectedReply, RecordedRequest, RequestMatcher, Violation } from '../http/index.js';
