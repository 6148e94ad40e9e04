import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/core/store/db.js';
import { migrations } from '../src/core/store/migrations/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

const defer = useCleanups();

/** A store as fleetbot left it before `version`: every earlier migration applied, with some history in it. */
function storeBefore(version: number): string {
  const tmp = tempDir();
  defer(tmp.cleanup);
  const file = path.join(tmp.dir, 'fleetbot.db');
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
  for (const m of migrations.filter((x) => x.version < version)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 0);
  }
  db.exec(`
    INSERT INTO agents (id, name, role, provider, status, resources, owner, created_at, updated_at)
      VALUES (1, 'alice', 'swe', 'hetzner', 'running', '{"serverId":7}', 'telegram:1', 1, 2),
             (2, 'bob', 'swe', 'local', 'destroyed', '{}', 'telegram:1', 1, 2);
    INSERT INTO jobs (id, kind, subject, agent_id, requester, chat_platform, chat_id, status, created_at)
      VALUES (1, 'deploy', 'alice', 1, 'telegram:1', 'telegram', '-100', 'succeeded', 1);
    INSERT INTO agent_health (agent_id, state, updated_at) VALUES (1, 'healthy', 2);
  `);
  db.close();
  return file;
}

describe('store migrations', () => {
  it('8 lets an agent be lost, keeps every row and reference, and keeps foreign keys and the live-name rule', () => {
    const db = openDb(storeBefore(8));
    defer(() => void db.close());
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({
      v: migrations.at(-1)!.version,
    });
    expect(db.prepare('SELECT id, name, status, resources FROM agents ORDER BY id').all()).toEqual([
      { id: 1, name: 'alice', status: 'running', resources: '{"serverId":7}' },
      { id: 2, name: 'bob', status: 'destroyed', resources: '{}' },
    ]);
    db.prepare("UPDATE agents SET status = 'lost' WHERE id = 1").run();
    expect(
      db.prepare('SELECT j.subject, a.status FROM jobs j JOIN agents a ON a.id = j.agent_id').get(),
    ).toEqual({
      subject: 'alice',
      status: 'lost',
    });
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() =>
      db.prepare("INSERT INTO agent_health (agent_id, state, updated_at) VALUES (99, 'healthy', 1)").run(),
    ).toThrow(/FOREIGN KEY/);
    // A lost agent still holds its name: what is left of it may cost money until /destroy.
    expect(() =>
      db
        .prepare(
          "INSERT INTO agents (name, role, provider, status, owner, created_at, updated_at) VALUES ('alice', 'swe', 'local', 'deploying', 'x', 1, 1)",
        )
        .run(),
    ).toThrow(/UNIQUE/);
    expect(() => db.prepare("UPDATE agents SET status = 'vanished' WHERE id = 2").run()).toThrow(/CHECK/);
  });

  it('10 makes paused a job status of its own, and gives each job what its kind builds it from, options keyed by flag', () => {
    const file = storeBefore(10);
    const old = new Database(file);
    old.exec(`
      INSERT INTO jobs (id, kind, subject, agent_id, requester, chat_platform, chat_id, status, error, created_at, params)
        VALUES (2, 'deploy', 'alice', 1, 'telegram:1', 'telegram', '-100', 'interrupted',
                'paused while fleetbot restarts; it carries on when fleetbot is back', 3, '{"options":{"serverType":"cx33","location":"fsn1"}}'),
               (3, 'image', 'image swe', NULL, 'telegram:1', 'telegram', '-100', 'interrupted',
                'fleetbot restarted while this job was unfinished', 4, '{}');
      INSERT INTO job_steps (job_id, idx, key, title, status) VALUES (2, 0, 'server', 'Create server', 'done');
    `);
    old.close();
    const db = openDb(file);
    defer(() => void db.close());
    expect(db.prepare('SELECT id, status, error, params FROM jobs ORDER BY id').all()).toEqual([
      { id: 1, status: 'succeeded', error: null, params: '{"agentId":1}' },
      {
        id: 2,
        status: 'paused',
        error: null,
        params: '{"options":{"location":"fsn1","type":"cx33"},"agentId":1}',
      },
      {
        id: 3,
        status: 'interrupted',
        error: 'fleetbot restarted while this job was unfinished',
        params: '{"role":"swe"}',
      },
    ]);
    expect(db.prepare('SELECT job_id, key FROM job_steps').all()).toEqual([{ job_id: 2, key: 'server' }]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() =>
      db
        .prepare(
          "INSERT INTO job_steps (job_id, idx, key, title, status) VALUES (99, 0, 'x', 'x', 'waiting')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("UPDATE jobs SET status = 'stalled' WHERE id = 1").run()).toThrow(/CHECK/);
  });
});
