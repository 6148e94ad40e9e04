import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

/** Statuses in which an agent holds its name: it may still own something that costs money. */
export const liveStatuses = ['deploying', 'running', 'stopped', 'broken', 'lost', 'destroying'] as const;
export type AgentStatus = (typeof liveStatuses)[number] | 'failed' | 'destroyed';

export type Agent = {
  id: number;
  name: string;
  role: string;
  provider: string;
  status: AgentStatus;
  url: string | null;
  resources: Record<string, unknown>;
  owner: string;
  createdAt: number;
  updatedAt: number;
  destroyedAt: number | null;
};

type Row = Omit<Agent, 'resources' | 'createdAt' | 'updatedAt' | 'destroyedAt'> & {
  resources: string;
  created_at: number;
  updated_at: number;
  destroyed_at: number | null;
};

const toAgent = (r: Row): Agent => ({
  id: r.id,
  name: r.name,
  role: r.role,
  provider: r.provider,
  status: r.status,
  url: r.url,
  resources: JSON.parse(r.resources) as Record<string, unknown>,
  owner: r.owner,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  destroyedAt: r.destroyed_at,
});

const liveList = liveStatuses.map((s) => `'${s}'`).join(',');

export function agentsRepo(db: Db, clock: Clock) {
  const byIdStmt = db.prepare<[number], Row>('SELECT * FROM agents WHERE id = ?');
  const liveByNameStmt = db.prepare<[string], Row>(
    `SELECT * FROM agents WHERE name = ? AND status IN (${liveList})`,
  );
  const latestByNameStmt = db.prepare<[string], Row>(
    'SELECT * FROM agents WHERE name = ? ORDER BY id DESC LIMIT 1',
  );
  return {
    create(a: { name: string; role: string; provider: string; owner: string }): Agent {
      const now = clock.now();
      const info = db
        .prepare(
          `INSERT INTO agents (name, role, provider, status, owner, created_at, updated_at)
           VALUES (?, ?, ?, 'deploying', ?, ?, ?)`,
        )
        .run(a.name, a.role, a.provider, a.owner, now, now);
      return toAgent(byIdStmt.get(Number(info.lastInsertRowid))!);
    },
    byId(id: number): Agent | undefined {
      const row = byIdStmt.get(id);
      return row && toAgent(row);
    },
    /** The agent currently holding this name, if any. */
    live(name: string): Agent | undefined {
      const row = liveByNameStmt.get(name);
      return row && toAgent(row);
    },
    /** The newest agent ever of this name, live or gone (for status of a destroyed agent). */
    latest(name: string): Agent | undefined {
      const row = latestByNameStmt.get(name);
      return row && toAgent(row);
    },
    list(opts: { includeGone?: boolean; provider?: string } = {}): Agent[] {
      const where: string[] = [];
      const params: string[] = [];
      if (!opts.includeGone) where.push(`status IN (${liveList})`);
      if (opts.provider) {
        where.push('provider = ?');
        params.push(opts.provider);
      }
      const sql = `SELECT * FROM agents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id`;
      return db
        .prepare<string[], Row>(sql)
        .all(...params)
        .map(toAgent);
    },
    update(id: number, patch: Partial<Pick<Agent, 'status' | 'url' | 'resources'>>): void {
      const current = byIdStmt.get(id);
      if (!current) throw new Error(`agent ${id} does not exist`);
      const now = clock.now();
      const status = patch.status ?? current.status;
      db.prepare(
        `UPDATE agents SET status = ?, url = ?, resources = ?, updated_at = ?,
           destroyed_at = CASE WHEN ? = 'destroyed' THEN ? ELSE destroyed_at END WHERE id = ?`,
      ).run(
        status,
        patch.url === undefined ? current.url : patch.url,
        patch.resources === undefined ? current.resources : JSON.stringify(patch.resources),
        now,
        status,
        now,
        id,
      );
    },
  };
}
export type AgentsRepo = ReturnType<typeof agentsRepo>;
