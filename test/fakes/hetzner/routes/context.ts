import type { FakeReply, RouteMatch } from '../../http/index.js';
import { invalidInput, notFound } from '../errors.js';
import { LabelSelectorError, parseLabelSelector, type LabelPredicate } from '../labels.js';
import { linkHeader, paginate } from '../pagination.js';
import { sortItems, type SortKeys } from '../sorting.js';
import type { HetznerState } from '../state.js';
import type { VmBackend } from '../vmBackend.js';
import type { FakeServer } from '../views.js';

export interface RouteDeps {
  state: HetznerState;
  perPageMax: number;
  /** Awaited before POST /servers answers, so a VM lab can get a machine going first. */
  serverCreated(server: FakeServer): Promise<void>;
  /** Real VMs behind the servers, in the VM lab. */
  vm?: VmBackend | undefined;
}

export interface HandlerContext {
  route: RouteMatch<Handler>;
  query: URLSearchParams;
  /** Already checked against the operation's request schema; see `body()`. */
  body: Record<string, unknown>;
  fullPath: string;
  now: number;
  violation: (problem: string) => void;
}

export type Handler = (ctx: HandlerContext) => FakeReply | Promise<FakeReply>;

/** [method, template as written in the spec's paths, handler]. */
export type RouteTable = Array<[string, string, Handler]>;

/**
 * The request body as its typed shape. Sound only because the pipeline answers invalid_input before a
 * handler runs whenever the body breaks the operation's schema, which these types transcribe.
 */
export function body<T>(ctx: HandlerContext): T {
  return ctx.body as T;
}

/** A numeric path ID; anything else cannot name a resource, so it is a plain not_found. */
export function idParam(ctx: HandlerContext, name: string, kind: string): number {
  const raw = ctx.route.param(name);
  if (!/^\d+$/.test(raw)) throw notFound(kind, raw);
  return Number(raw);
}

/** `label_selector`, if given; a malformed one is the client's mistake and refused as invalid_input. */
export function labelFilter(ctx: HandlerContext): LabelPredicate {
  try {
    return parseLabelSelector(ctx.query.get('label_selector') ?? '');
  } catch (error) {
    if (!(error instanceof LabelSelectorError)) throw error;
    ctx.violation(error.message);
    throw invalidInput('label_selector', error.message);
  }
}

/** A repeatable filter such as `status=running&status=off`: true when absent or when the value is listed. */
export function anyOf(ctx: HandlerContext, name: string): (value: string | number | null) => boolean {
  const wanted = ctx.query.getAll(name);
  return (value) => wanted.length === 0 || wanted.includes(String(value));
}

/** Sorted, paginated list under `key`, with `meta.pagination` and the matching Link header. */
export function listReply<T>(
  ctx: HandlerContext,
  deps: RouteDeps,
  key: string,
  items: readonly T[],
  render: (item: T) => unknown,
  sortKeys: SortKeys<T>,
): FakeReply {
  const page = paginate(sortItems(items, ctx.query, sortKeys), ctx.query, deps.perPageMax);
  const link = linkHeader(ctx.fullPath, ctx.query, page.pagination);
  return {
    status: 200,
    body: { [key]: page.items.map(render), meta: { pagination: page.pagination } },
    headers: link === '' ? {} : { link },
  };
}

export function json(status: number, payload: unknown): FakeReply {
  return { status, body: payload };
}
