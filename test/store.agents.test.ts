import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore, type Store } from '../src/core/store/index.js';
import { tempDir } from './support/env.js';

const cleanups: (() => void)[] = [];
afterEach(() =>
  cleanups
    .splice(0)
    .reverse()
    .forEach((c) => c()),
);

/** Two stores on one file, as the bot and a `fleetbot` command beside it would hold. */
function setup(): { store: Store; other: Store } {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const file = path.join(tmp.dir, 'fleetbot.db');
  const store = openStore(file, systemClock);
  cleanups.push(() => store.close());
  const other = openStore(file, systemClock);
  cleanups.push(() => other.close());
  return { store, other };
}

const deploy = (store: Store, name: string) =>
  store.agents.create({ name, role: 'swe', provider: 'local', owner: 'telegram:1' });

const listed = (store: Store, opts?: Parameters<Store['agents']['list']>[0]) =>
  store.agents.list(opts).map((a) => `${a.name}:${a.status}:${a.url ?? '-'}`);

describe('the agents list', () => {
  it('shows every change made through the store, listed again and again', () => {
    const { store } = setup();
    const alpha = deploy(store, 'alpha');
    expect(listed(store)).toEqual(['alpha:deploying:-']);
    store.agents.update(alpha.id, { status: 'running', url: 'http://127.0.0.1:4100' });
    expect(listed(store)).toEqual(['alpha:running:http://127.0.0.1:4100']);
    deploy(store, 'beta');
    expect(listed(store)).toEqual(['alpha:running:http://127.0.0.1:4100', 'beta:deploying:-']);
    store.agents.update(alpha.id, { status: 'destroyed' });
    expect(listed(store)).toEqual(['beta:deploying:-']);
    expect(listed(store, { includeGone: true })).toEqual([
      'alpha:destroyed:http://127.0.0.1:4100',
      'beta:deploying:-',
    ]);
  });

  it('shows what another connection to the same file committed', () => {
    const { store, other } = setup();
    deploy(store, 'alpha');
    expect(listed(store)).toEqual(['alpha:deploying:-']);
    const beta = deploy(other, 'beta');
    other.agents.update(beta.id, { status: 'running' });
    expect(listed(store)).toEqual(['alpha:deploying:-', 'beta:running:-']);
  });

  it('forgets what a transaction listed once the transaction rolls back', () => {
    const { store } = setup();
    deploy(store, 'alpha');
    expect(listed(store)).toEqual(['alpha:deploying:-']);
    expect(() =>
      store.transaction(() => {
        deploy(store, 'beta');
        expect(listed(store)).toEqual(['alpha:deploying:-', 'beta:deploying:-']);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(listed(store)).toEqual(['alpha:deploying:-']);
  });

  it('gives each caller agents of its own: changing one changes no later list', () => {
    const { store } = setup();
    deploy(store, 'alpha');
    const first = store.agents.list();
    first[0]!.status = 'broken';
    first[0]!.resources.serverId = 42;
    const again = store.agents.list();
    expect(again[0]).toMatchObject({ name: 'alpha', status: 'deploying', resources: {} });
  });
});
