export {
  startFakeCloudflare,
  type FakeCloudflare,
  type FakeCloudflareOptions,
  type FakeDnsRecord,
} from './fake-cloudflare.js';
export type { InjectedReply, RecordedRequest, RequestMatcher, Violation } from '../http/index.js';
