import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { bobDm, revokedMidJob, team } from './support/revokedMidJob.js';
import { annDm } from './support/telegramSession.js';

describe('job cards and approval cards after a revocation', () => {
  const defer = useCleanups();

  it('tell a chat revoked mid-job, or a revoked person, nothing more; the requester’s own DM is still told', async () => {
    const r = await revokedMidJob(defer);
    expect(r.sinceRevoked(team)).toEqual([]);
    expect(r.sinceRevoked(bobDm)).toEqual([]);
    // The team is left with the card as it was when revoked, and the destroy request still open.
    expect(r.texts(team)).toEqual([
      expect.stringMatching(/^(⏳ Queued|🚀 Running): Restart alice/),
      expect.stringMatching(/^Destroy dora\?/),
    ]);
    expect(r.texts(annDm)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^✅ Done: Restart amy/),
        'This destroy request for dina expired unused. Nothing was changed.',
      ]),
    );
  });
});
