import path from 'node:path';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { privateFile, privateIfExists } from '../runtime/privateFiles.js';
import { migrations } from './migrations/index.js';

export type Db = Database.Database;

/**
 * Opens the store with WAL, foreign keys and a busy timeout, and applies pending migrations. The file
 * is owner-only (0600); SQLite gives its -wal and -shm files the database file's mode.
 */
export function openDb(file: string): Db {
  if (file !== ':memory:') {
    // A folder made here is owner-only; one that exists may be shared on purpose and is left alone.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    privateFile(file);
    for (const companion of ['-wal', '-shm']) privateIfExists(`${file}${companion}`);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  migrate(db);
  cacheStatements(db);
  return db;
}

/**
 * Repositories call db.prepare on every use; compiling the SQL each time cost more than running it
 * under load (B1 in BENCHMARKS.md). Each distinct SQL text is compiled once; SQLite recompiles a
 * statement by itself when the schema changes under it.
 */
function cacheStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, ReturnType<typeof compile>>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = compile(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as typeof db.prepare;
}

function migrate(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)',
  );
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    // SQLite's way to rebuild a referenced table: dropping it with foreign keys on would fail (or
    // cascade), and the pragma only takes effect outside a transaction.
    if (m.rebuildsReferencedTable) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new Error(`migration ${m.version} left ${broken.length} rows whose references point nowhere`);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          Date.now(),
        );
      })();
    } finally {
      db.pragma('foreign_keys = ON');
    }
  }
}
