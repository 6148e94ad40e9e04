import type { FailureReply } from './types.js';

interface Pending {
  reply: FailureReply;
  remaining: number;
}

/** Failures queued by `failNext`, consumed in order, each for `times` calls (default 1). */
export class FailureInjector {
  private readonly queues = new Map<string, Pending[]>();

  add(method: string, reply: FailureReply): void {
    const times = reply.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`failNext(${method}): times must be a positive integer`);
    const queue = this.queues.get(method) ?? [];
    queue.push({ reply, remaining: times });
    this.queues.set(method, queue);
  }

  take(method: string): FailureReply | undefined {
    const queue = this.queues.get(method);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining === 0) queue.shift();
    return head.reply;
  }
}
