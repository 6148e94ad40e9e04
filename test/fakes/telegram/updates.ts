import type { Update } from 'grammy/types';
import { ApiError, CONFLICT_OTHER_POLL, CONFLICT_SET_WEBHOOK, CONFLICT_WEBHOOK_ACTIVE } from './errors.js';

/** `allowed_updates: []` (and the initial setting) means everything except these. */
const OPT_IN_KINDS = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/** The server clamps `timeout` to 50 s. */
const MAX_TIMEOUT_S = 50;

export interface PollRequest {
  offset?: number;
  limit?: number;
  timeout?: number;
  allowedUpdates?: string[];
}

export interface Webhook {
  url: string;
  maxConnections?: number;
  allowedUpdates?: string[];
}

interface Waiter {
  wake: () => void;
  fail: (error: ApiError) => void;
}

/**
 * Pending updates and the getUpdates long poll. The webhook is only bookkeeping (getUpdates conflicts with
 * it); the fake does not deliver updates to webhook URLs.
 */
export class UpdateQueue {
  private queue: Update[] = [];
  private nextId = 500_000_001;
  private allowed: ReadonlySet<string> | undefined;
  private waiter: Waiter | undefined;
  private webhook: Webhook | undefined;
  private closed = false;

  constructor(private readonly longPollCapMs: number) {}

  /** Queues an update (if the bot's allowed_updates admit its kind) and returns its update_id. */
  push(body: Omit<Update, 'update_id'>): number {
    const updateId = this.nextId++;
    const kind = Object.keys(body)[0] ?? '';
    // Like the server, allowed_updates filters when an update is created, not when it is fetched.
    const admitted = this.allowed === undefined ? !OPT_IN_KINDS.has(kind) : this.allowed.has(kind);
    if (admitted) {
      this.queue.push({ update_id: updateId, ...body });
      this.waiter?.wake();
    }
    return updateId;
  }

  async getUpdates(request: PollRequest, signal: AbortSignal): Promise<Update[]> {
    if (this.webhook !== undefined) throw new ApiError(409, CONFLICT_WEBHOOK_ACTIVE);
    // A newer poll wins: the one already waiting is the one told about the conflict.
    this.waiter?.fail(new ApiError(409, CONFLICT_OTHER_POLL));

    if (request.allowedUpdates !== undefined) {
      this.allowed = request.allowedUpdates.length === 0 ? undefined : new Set(request.allowedUpdates);
    }
    this.confirm(request.offset ?? 0);
    const limit = Math.min(Math.max(request.limit ?? 100, 1), 100);
    const timeoutMs = Math.min(
      Math.min(Math.max(request.timeout ?? 0, 0), MAX_TIMEOUT_S) * 1000,
      this.longPollCapMs,
    );
    if (this.queue.length > 0 || timeoutMs === 0 || signal.aborted || this.closed)
      return this.queue.slice(0, limit);

    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.waiter === waiter) this.waiter = undefined;
      };
      const waiter: Waiter = {
        wake: () => {
          done();
          resolve();
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      signal.addEventListener('abort', waiter.wake);
      this.waiter = waiter;
    });
    return this.queue.slice(0, limit);
  }

  setWebhook(webhook: Webhook, dropPending: boolean): void {
    this.waiter?.fail(new ApiError(409, CONFLICT_SET_WEBHOOK));
    this.webhook = webhook.url === '' ? undefined : webhook;
    if (webhook.allowedUpdates !== undefined) {
      this.allowed = webhook.allowedUpdates.length === 0 ? undefined : new Set(webhook.allowedUpdates);
    }
    if (dropPending) this.queue = [];
  }

  deleteWebhook(dropPending: boolean): void {
    this.webhook = undefined;
    if (dropPending) this.queue = [];
  }

  webhookInfo(): Record<string, unknown> {
    const info: Record<string, unknown> = {
      url: this.webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
    };
    if (this.webhook?.maxConnections !== undefined) info.max_connections = this.webhook.maxConnections;
    if (this.webhook?.allowedUpdates !== undefined) info.allowed_updates = this.webhook.allowedUpdates;
    return info;
  }

  /** True while a getUpdates request is being held open. */
  get polling(): boolean {
    return this.waiter !== undefined;
  }

  /** Ends the pending long poll now, and any later one at once, so the server can shut down promptly. */
  shutdown(): void {
    this.closed = true;
    this.waiter?.wake();
  }

  private confirm(offset: number): void {
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    // A negative offset keeps only the last |offset| updates and forgets the rest.
    else if (offset < 0) this.queue = this.queue.slice(offset);
  }
}
