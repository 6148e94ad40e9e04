import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';
import { tempDir } from './support/env.js';

const cleanups: (() => void)[] = [];
afterEach(() =>
  cleanups
    .splice(0)
    .reverse()
    .forEach((c) => c()),
);

function setup() {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const file = path.join(tmp.dir, 'fleetbot.db');
  const store = openStore(file, systemClock);
  const reader = new Database(file, { readonly: true });
  cleanups.push(() => reader.close());
  const onDisk = (): string[] =>
    reader
      .prepare<[], { action: string }>('SELECT action FROM audit ORDER BY id')
      .all()
      .map((r) => r.action);
  return { store, onDisk };
}

const row = (action: string) => ({
  platform: 'telegram' as const,
  userId: '1',
  chatId: '1',
  action,
  outcome: 'ok',
});
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the audit log', () => {
  it('writes the rows of one turn together at its end, in order, and what waits on close', async () => {
    const { store, onDisk } = setup();
    store.audit.append(row('whoami'));
    store.audit.append(row('status'));
    expect(onDisk()).toEqual([]);
    await nextTurn();
    expect(onDisk()).toEqual(['whoami', 'status']);

    // A row written inside a transaction is part of it, after the rows still waiting.
    store.audit.append(row('deploy'));
    store.transaction(() => store.audit.append(row('job deploy')));
    expect(onDisk()).toEqual(['whoami', 'status', 'deploy', 'job deploy']);

    store.audit.append(row('help'));
    expect(store.audit.recent(1)[0]?.action).toBe('help');
    store.audit.append(row('logs'));
    store.close();
    expect(onDisk()).toEqual(['whoami', 'status', 'deploy', 'job deploy', 'help', 'logs']);
  });
});
