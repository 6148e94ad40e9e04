import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

export const healthStates = ['unknown', 'healthy', 'suspect', 'down', 'recovering'] as const;
export type HealthState = (typeof healthStates)[number];

export type HealthRecord = {
  agentId: number;
  state: HealthState;
  failures: number;
  successes: number;
  lastCheckAt: number | null;
  latencyMs: number | null;
  lastError: string | null;
  /** When the agent went down recently, for flap detection. */
  downs: number[];
  mutedUntil: number | null;
};

type Row = {
  agent_id: number;
  state: HealthState;
  failures: number;
  successes: number;
  last_check_at: number | null;
  latency_ms: number | null;
  last_error: string | null;
  downs: string;
  muted_until: number | null;
};

const toRecord = (r: Row): HealthRecord => ({
  agentId: r.agent_id,
  state: r.state,
  failures: r.failures,
  successes: r.successes,
  lastCheckAt: r.last_check_at,
  latencyMs: r.latency_ms,
  lastError: r.last_error,
  downs: JSON.parse(r.downs) as number[],
  mutedUntil: r.muted_until,
});

export const unknownHealth = (agentId: number): HealthRecord => ({
  agentId,
  state: 'unknown',
  failures: 0,
  successes: 0,
  lastCheckAt: null,
  latencyMs: null,
  lastError: null,
  downs: [],
  mutedUntil: null,
});

export function healthRepo(db: Db, clock: Clock) {
  const upsert = db.prepare(
    `INSERT INTO agent_health (agent_id, state, failures, successes, last_check_at, latency_ms, last_error, downs, muted_until, updated_at)
     VALUES (@agentId, @state, @failures, @successes, @lastCheckAt, @latencyMs, @lastError, @downs, @mutedUntil, @now)
     ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, failures = excluded.failures, successes = excluded.successes,
       last_check_at = excluded.last_check_at, latency_ms = excluded.latency_ms, last_error = excluded.last_error,
       downs = excluded.downs, muted_until = excluded.muted_until, updated_at = excluded.updated_at`,
  );
  return {
    all(): Map<number, HealthRecord> {
      return new Map(
        db
          .prepare<[], Row>('SELECT * FROM agent_health')
          .all()
          .map((r) => [r.agent_id, toRecord(r)]),
      );
    },
    get(agentId: number): HealthRecord | undefined {
      const row = db.prepare<[number], Row>('SELECT * FROM agent_health WHERE agent_id = ?').get(agentId);
      return row && toRecord(row);
    },
    /** Writes a whole cycle's results in one transaction: one fsync for thousands of agents. */
    saveAll(records: HealthRecord[]): void {
      const now = clock.now();
      db.transaction(() => {
        for (const r of records) upsert.run({ ...r, downs: JSON.stringify(r.downs), now });
      })();
    },
  };
}
export type HealthRepo = ReturnType<typeof healthRepo>;
