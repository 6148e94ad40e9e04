import { z } from 'zod';
import { parseDuration } from '../runtime/duration.js';
import { liveStatuses, type Agent } from '../store/agents.js';

const dayMs = 86_400_000;
export const agentStatuses = [...liveStatuses, 'failed', 'destroyed'] as const;

/** A creation-date bound as typed: a UTC day (2026-12-01), or a duration meaning that long ago (7d). */
type Moment = { day: number } | { ago: number };

const moment = (flag: string) =>
  z
    .string()
    .max(32)
    .transform((text, ctx): Moment => {
      const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
      if (date) {
        const day = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
        if (new Date(day).toISOString().slice(0, 10) === text.trim()) return { day };
      }
      const ago = date ? undefined : parseDuration(text);
      if (ago !== undefined) return { ago };
      ctx.addIssue({
        code: 'custom',
        message: `--${flag} takes a date (2026-12-01) or how long ago (7d, 12h), not ${JSON.stringify(text.slice(0, 32))}.`,
      });
      return z.NEVER;
    });

/** What `/list` can narrow the agents to; every field is optional and they all must hold. */
export const agentFilterSchema = z.object({
  role: z.string().max(64).optional(),
  /** A principal (`telegram:123`), or `me`. */
  owner: z.string().max(80).optional(),
  provider: z.string().max(32).optional(),
  status: z.enum(agentStatuses, { error: `--status is one of ${agentStatuses.join(', ')}.` }).optional(),
  since: moment('since').optional(),
  until: moment('until').optional(),
});
export type AgentFilter = z.output<typeof agentFilterSchema>;

/** Whether any field narrows the list: a filtered list says so when it comes back empty. */
export const narrows = (filter: AgentFilter): boolean => Object.values(filter).some((v) => v !== undefined);

/** Destroyed and failed agents are only listed when asked for, by --all or by their status. */
export const wantsGone = (filter: AgentFilter): boolean =>
  filter.status === 'failed' || filter.status === 'destroyed';

/**
 * The test an agent must pass. `--since` includes its whole day; `--until` a day includes that day
 * too, so `--since 2026-12-01 --until 2026-12-01` is that one day.
 */
export function agentMatcher(filter: AgentFilter, ctx: { now: number; me: string }): (a: Agent) => boolean {
  const start = (m: Moment) => ('day' in m ? m.day : ctx.now - m.ago);
  const end = (m: Moment) => ('day' in m ? m.day + dayMs : ctx.now - m.ago);
  const owner = filter.owner === 'me' ? ctx.me : filter.owner;
  return (a) =>
    (filter.role === undefined || a.role === filter.role) &&
    (owner === undefined || a.owner === owner) &&
    (filter.provider === undefined || a.provider === filter.provider) &&
    (filter.status === undefined || a.status === filter.status) &&
    (filter.since === undefined || a.createdAt >= start(filter.since)) &&
    (filter.until === undefined || a.createdAt < end(filter.until));
}
