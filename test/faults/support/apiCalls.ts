import type { InjectedReply, RecordedRequest, RequestMatcher } from '../../fakes/http/index.js';
import { deployAlice, startHetznerBot, type HetznerBot } from '../../support/hetznerDeploy.js';

export type Api = 'hetzner' | 'cloudflare';

/** One kind of API call (`GET /servers/{id}`): every request with that method and path shape. */
export type ApiCall = { api: Api; method: string; shape: string; matcher: RequestMatcher };

// Ids are the only path segments that differ between two requests of the same kind.
const idSegment = /^(\d+|[0-9a-f]{32})$/;

function callOf(api: Api, r: RecordedRequest): ApiCall {
  const segments = r.path.split('/').map((s) => (idSegment.test(s) ? '{id}' : s));
  const pattern = segments.map((s) => (s === '{id}' ? '[^/]+' : s)).join('/');
  return {
    api,
    method: r.method,
    shape: segments.join('/'),
    matcher: { method: r.method, path: new RegExp(`^${pattern}$`) },
  };
}

/** The distinct API calls a clean hetzner deploy makes, in the order each is first made. */
export async function deployCalls(bot: HetznerBot): Promise<ApiCall[]> {
  const { s, cloud } = bot;
  await s.type('/image build swe');
  const from = { hetzner: cloud.hetzner.requests.length, cloudflare: cloud.cloudflare.requests.length };
  await s.type(deployAlice);
  const calls = new Map<string, ApiCall>();
  for (const api of ['hetzner', 'cloudflare'] as const)
    for (const r of cloud[api].requests.slice(from[api])) {
      const call = callOf(api, r);
      calls.set(`${api} ${call.method} ${call.shape}`, call);
    }
  return [...calls.values()];
}

/** Arms `reply` for the next request of `call` on its fake. */
export function failCall(bot: HetznerBot, call: ApiCall, reply: TransientReply): void {
  if (call.api === 'hetzner') bot.cloud.hetzner.failNext(call.matcher, reply.hetzner);
  else bot.cloud.cloudflare.failNext(call.matcher, reply.cloudflare);
}

/** A fault in each API's own error vocabulary. */
export type TransientReply = {
  name: string;
  hetzner: InjectedReply<string>;
  cloudflare: InjectedReply<number>;
};

/** Runs `body` against a fresh bot whose fakes are torn down afterwards, outside any test's cleanups. */
export async function withHetznerBot<T>(body: (bot: HetznerBot) => Promise<T>): Promise<T> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    return await body(await startHetznerBot((fn) => cleanups.push(fn)));
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}
