/** Which requests an injected failure applies to; an omitted field matches anything. */
export interface RequestMatcher {
  method?: string;
  /** Path below the API base (`/servers/42`, not `/v1/servers/42`), without the query string. */
  path?: string | RegExp;
}

/**
 * What a fake does instead of its normal answer. `code` has the API's own error-code type (a string for
 * Hetzner, a number for Cloudflare) and is wrapped in that API's error envelope. `delayMs` may accompany any
 * variant; on its own it only holds the normal answer back, which is how client timeouts get exercised.
 */
export type InjectedReply<C> =
  | { status: number; code: C; message: string; delayMs?: number }
  | { dropConnection: true; delayMs?: number }
  | { malformedJson: true; status?: number; delayMs?: number }
  | { delayMs: number };

interface Rule<C> {
  matcher: RequestMatcher;
  reply: InjectedReply<C>;
  remaining: number;
}

export class FailureInjector<C> {
  readonly #rules: Rule<C>[] = [];

  add(matcher: RequestMatcher, reply: InjectedReply<C>, times = 1): void {
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    this.#rules.push({ matcher, reply, remaining: times });
  }

  /** Uses up one turn of the oldest matching rule, so overlapping rules apply in the order they were added. */
  take(method: string, path: string): InjectedReply<C> | undefined {
    const index = this.#rules.findIndex((rule) => matches(rule.matcher, method, path));
    const rule = this.#rules[index];
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.#rules.splice(index, 1);
    return rule.reply;
  }
}

function matches(matcher: RequestMatcher, method: string, path: string): boolean {
  if (matcher.method !== undefined && matcher.method.toUpperCase() !== method) return false;
  if (matcher.path === undefined) return true;
  // search() rather than test(): a /g or /y RegExp keeps lastIndex between test() calls and would skip matches.
  return typeof matcher.path === 'string' ? matcher.path === path : path.search(matcher.path) !== -1;
}
