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

/**
 * An agent's columns in the order `toAgent` reads them. Rows come back as arrays (better-sqlite3's
 * `raw`): making an object per row cost half of reading a list of 1,000 agents, most of a
 * `GET /v1/agents` (B9 in BENCHMARKS.md).
 */
const columns =
  'id, name, role, provider, status, url, resources, owner, created_at, updated_at, destroyed_at';
type Row = [
  id: number,
  name: string,
  role: string,
  provider: string,
  status: AgentStatus,
  url: string | null,
  resources: string,
  owner: string,
  createdAt: number,
  updatedAt: number,
  destroyedAt: number | null,
];

const toAgent = ([
  id,
  name,
  role,
  provider,
  status,
  url,
  resources,
  owner,
  createdAt,
  updatedAt,
  destroyedAt,
]: Row): Agent => ({
  id,
  name,
  role,
  provider,
  status,
  url,
  resources: JSON.parse(resources) as Record<string, unknown>,
  owner,
  createdAt,
  updatedAt,
  destroyedAt,
});

const liveList = liveStatuses.map((s) => `'${s}'`).join(',');

export function agentsRepo(db: Db, clock: Clock) {
  const byIdStmt = db.prepare<[number], Row>(`SELECT ${columns} FROM agents WHERE id = ?`).raw();
  const liveByNameStmt = db
    .prepare<[string], Row>(`SELECT ${columns} FROM agents WHERE name = ? AND status IN (${liveList})`)
    .raw();
  const latestByNameStmt = db
    .prepare<[string], Row>(`SELECT ${columns} FROM agents WHERE name = ? ORDER BY id DESC LIMIT 1`)
    .raw();
  const currentStmt = db.prepare<[number], Pick<Agent, 'status' | 'url'> & { resources: string }>(
    'SELECT status, url, resources FROM agents WHERE id = ?',
  );
  const dataVersionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
  /**
   * Each list's rows as last read, while no agent has changed since: reading 1,000 agents costs
   * milliseconds of CPU, and every `GET /v1/agents` and monitor cycle lists them (B9 in BENCHMARKS.md).
   * Rows are kept, not agents, so each caller still gets objects of its own. A write here forgets
   * them; so does a commit by another connection (`data_version` moves). A list read inside a
   * transaction is not kept: the transaction may yet roll back what it read.
   */
  const lists = new Map<string, Row[]>();
  let listsVersion: number | undefined;
  const written = (): void => lists.clear();
  return {
    create(a: { name: string; role: string; provider: string; owner: string }): Agent {
      written();
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
      const sql = `SELECT ${columns} FROM agents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id`;
      const version = dataVersionStmt.get();
      if (version !== listsVersion) {
        lists.clear();
        listsVersion = version;
      }
      const key = [sql, ...params].join('\0');
      let rows = lists.get(key);
      if (!rows) {
        rows = db
          .prepare<string[], Row>(sql)
          .raw()
          .all(...params);
        if (!db.inTransaction) lists.set(key, rows);
      }
      return rows.map(toAgent);
    },
    update(id: number, patch: Partial<Pick<Agent, 'status' | 'url' | 'resources'>>): void {
      const current = currentStmt.get(id);
      if (!current) throw new Error(`agent ${id} does not exist`);
      written();
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
