import { z } from 'zod';

/**
 * One entry of `journalctl -o json`. journald sets the fields that start with an underscore itself
 * (`_SYSTEMD_UNIT` from the writer's cgroup, `_PID`); the rest, SYSLOG_IDENTIFIER included, are
 * whatever the writer said (`systemd-cat -t fleetbot`, `logger -t systemd`). MESSAGE is an array of
 * bytes when it is not valid UTF-8.
 */
const entrySchema = z
  .object({
    __REALTIME_TIMESTAMP: z.string().regex(/^\d{1,20}$/),
    MESSAGE: z.union([z.string(), z.array(z.number().int().min(0).max(255))]).optional(),
    _SYSTEMD_UNIT: z.string().optional(),
  })
  .loose();

/** The fields /logs reads: everything else an entry carries stays on the machine. */
export const journalFields = 'MESSAGE,_SYSTEMD_UNIT';

/**
 * The journal lines of an agent's unit as /logs shows them: each line says who wrote it from the
 * trusted fields alone, the agent by its name and systemd (or another root daemon) about its unit as
 * `system`, never by the name a writer gave itself, so an agent's line cannot pass as systemd's or
 * fleetbot's. Lines that are not journal entries are left out.
 */
export function journalLines(jsonLines: string, unit: string, agentName: string): string[] {
  return jsonLines.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return [];
    }
    const entry = entrySchema.safeParse(parsed);
    if (!entry.success) return [];
    const { MESSAGE: message = '', _SYSTEMD_UNIT: writer } = entry.data;
    const text = typeof message === 'string' ? message : Buffer.from(message).toString('utf8');
    const at = new Date(Number(entry.data.__REALTIME_TIMESTAMP) / 1000).toISOString().slice(0, 19);
    return [`${at}Z ${writer === unit ? agentName : 'system'}: ${text}`];
  });
}
