import type { BridgeHost } from '../../core/chat/types.js';

/**
 * Remembers the most recent deliveries so a redelivered one is handled once, across restarts too:
 * Slack redelivers an event up to 5 minutes later over HTTP, and after a reconnect in Socket Mode.
 * The ids are kept in a cursor, newest last, bounded so the cursor stays small.
 */
export function createOnce(host: BridgeHost, key: string, capacity = 500) {
  const order = (host.loadCursor(key) ?? '').split(' ').filter(Boolean);
  const seen = new Set(order);
  return {
    /** True the first time an id is offered; it is recorded before it is handled. */
    first(id: string): boolean {
      if (seen.has(id)) return false;
      seen.add(id);
      order.push(id);
      while (order.length > capacity) seen.delete(order.shift()!);
      host.saveCursor(key, order.join(' '));
      return true;
    },
  };
}
