import type { Bridge } from '../../core/chat/types.js';
import type { SlackOptions } from './index.js';
import { slackLimits } from './limits.js';

/**
 * The Slack bridge, with Bolt loaded only when the bridge starts: Bolt and its HTTP stack cost about
 * 34 MB of RSS, which a fleetbot without Slack should not carry (B7 in BENCHMARKS.md).
 */
export function createLazySlackBridge(opts: SlackOptions): Bridge {
  let inner: Bridge | undefined;
  const started = (): Bridge => {
    if (!inner) throw new Error('the Slack bridge has not started');
    return inner;
  };
  return {
    platform: 'slack',
    limits: slackLimits(opts),
    get username() {
      return inner?.username;
    },
    async start(deliver, host) {
      const { createSlackBridge } = await import('./index.js');
      inner = createSlackBridge(opts);
      await inner.start(deliver, host);
    },
    health: () => inner?.health?.() ?? { ok: false, detail: 'starting' },
    send: (chat, message, sendOpts) => started().send(chat, message, sendOpts),
    edit: (ref, message) => started().edit(ref, message),
    startStream: (chat, streamOpts) => started().startStream?.(chat, streamOpts),
    sendDocument: (chat, doc, sendOpts) => started().sendDocument!(chat, doc, sendOpts),
    stop: async () => inner?.stop(),
  };
}
