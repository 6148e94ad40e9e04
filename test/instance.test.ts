import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/index.js';
import { storeInstanceId } from '../src/core/fleet/instance.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

const defer = useCleanups();

/** The instance id a store gives, opened and closed again as a restart would. */
function idOf(file: string): string {
  const store = openStore(file, systemClock);
  try {
    return storeInstanceId(store);
  } finally {
    store.close();
  }
}

describe('the instance id on every label and record comment', () => {
  it('is made once per store and kept across restarts; another store gets another', () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const first = idOf(path.join(tmp.dir, 'one.db'));
    expect(first).toMatch(/^[0-9a-f]{12}$/);
    expect(idOf(path.join(tmp.dir, 'one.db'))).toBe(first);
    expect(idOf(path.join(tmp.dir, 'two.db'))).not.toBe(first);
  });

  it('FLEETBOT_INSTANCE names it, as a valid Hetzner label value', () => {
    expect(parseConfig({ FLEETBOT_INSTANCE: 'prod-eu' }).instance).toBe('prod-eu');
    expect(parseConfig({}).instance).toBeUndefined();
    expect(() => parseConfig({ FLEETBOT_INSTANCE: 'Prod EU!' })).toThrow(ConfigError);
    expect(() => parseConfig({ FLEETBOT_INSTANCE: 'Prod EU!' })).toThrow(
      /FLEETBOT_INSTANCE: lowercase letters, digits and inner dashes, at most 32/,
    );
  });
});
