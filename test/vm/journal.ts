import { z } from 'zod';
import type { SshSession } from '../../src/providers/ssh/session.js';

const entrySchema = z
  .object({
    __REALTIME_TIMESTAMP: z.string(),
    MESSAGE: z.union([z.string(), z.array(z.number())]).optional(),
    _SYSTEMD_UNIT: z.string().optional(),
    UNIT: z.string().optional(),
  })
  .loose();

export type JournalEntry = { at: number; unit: string; message: string };

/** The journal of some units, oldest first, with times in host milliseconds. */
export async function readJournal(ssh: SshSession, units: string[]): Promise<JournalEntry[]> {
  const args = units.map((u) => `-u ${u}`).join(' ');
  const result = await ssh.exec(`journalctl ${args} -o json --no-pager`, { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`journalctl failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => entrySchema.parse(JSON.parse(line)))
    .map((e) => ({
      at: Number(e.__REALTIME_TIMESTAMP) / 1000,
      unit: e._SYSTEMD_UNIT === 'init.scope' || !e._SYSTEMD_UNIT ? (e.UNIT ?? '') : e._SYSTEMD_UNIT,
      message: typeof e.MESSAGE === 'string' ? e.MESSAGE : Buffer.from(e.MESSAGE ?? []).toString('utf8'),
    }));
}

/** The first entry of a unit whose message matches. */
export const first = (entries: JournalEntry[], unit: string, pattern: RegExp): JournalEntry | undefined =>
  entries.find((e) => e.unit === unit && pattern.test(e.message));
