import type { Outbound } from '../../core/chat/types.js';

/**
 * Core writes command hints as `/status alice`; in Slack every fleetbot command goes through one slash
 * command, and `/status` would run Slack's own. So hints naming a fleetbot command become
 * `/fleet status alice`. Links are left alone.
 */
export function localiseCommands(message: Outbound, command: string, names: readonly string[]): Outbound {
  if (names.length === 0) return message;
  const hint = new RegExp(`(^|[\\s(\`'"“‘])/(${names.join('|')})(?![\\w-])`, 'g');
  const rewrite = (text: string): string => text.replace(hint, `$1${command} $2`);
  return {
    ...message,
    lines: message.lines.map((line) =>
      line.map((span) => (span.href ? span : { ...span, text: rewrite(span.text) })),
    ),
  };
}
