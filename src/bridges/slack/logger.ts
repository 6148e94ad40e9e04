import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../../core/runtime/logging.js';

const text = (msg: unknown[]): string =>
  msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');

/**
 * Bolt's and the Slack SDK's log lines, in fleetbot's log. Their debug lines carry whole payloads
 * (verification tokens, message text), so they are dropped rather than risk a secret in the log.
 */
export function slackLogger(log: Logger): SlackLogger {
  let level = LogLevel.INFO;
  let child = log;
  return {
    debug: () => undefined,
    info: (...msg) => child.info(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: (name) => {
      child = log.child({ component: name });
    },
  };
}
