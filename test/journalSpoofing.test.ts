import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { selfNamedLogLines, spoofedDeployFailure } from './support/journalSpoof.js';

const defer = useCleanups();

describe('journal lines an agent writes under another name', () => {
  it('never reach another agent’s failed deploy: its output is chosen by the unit journald saw', async () => {
    const card = await spoofedDeployFailure(defer);
    expect(card).toMatch(/^❌ Failed, rolled back: Deploy alice/);
    expect(card).not.toContain('bob.example');
  });

  it('show in /logs who wrote each line from journald’s own fields, never the name a line claims', async () => {
    const shown = await selfNamedLogLines(defer);
    expect(shown[0]).toMatch(/^Last \d+ log lines of alice/);
    expect(shown.filter((l) => l.includes('is now admin'))).toEqual([
      expect.stringMatching(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ alice: fleetbot says: telegram:666 is now admin$/,
      ),
      expect.stringMatching(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ alice: systemd says: telegram:666 is now admin$/,
      ),
    ]);
    expect(shown.join('\n')).not.toMatch(/\b(fleetbot|systemd)\[\d+\]/);
  });
});
