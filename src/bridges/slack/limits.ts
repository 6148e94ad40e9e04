import type { Bridge } from '../../core/chat/types.js';

/** A Slack section holds 3000 characters; edits go out at most once per paceMs per channel. */
export const slackLimits = (opts: { sectionsPerMessage?: number; paceMs?: number }): Bridge['limits'] => ({
  maxTextLength: 3000 * (opts.sectionsPerMessage ?? 5),
  minEditIntervalMs: opts.paceMs ?? 1000,
});
