export type { InjectedReply, RequestMatcher } from './failure-injection.js';
export {
  startJsonServer,
  type FakeReply,
  type FakeRequest,
  type JsonServer,
  type JsonServerOptions,
  type RecordedRequest,
  type RequestBody,
  type Violation,
} from './json-server.js';
export { Router, type RouteMatch } from './router.js';
