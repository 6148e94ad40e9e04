import { expect } from 'vitest';
import { ann, annDm } from '../../support/telegramSession.js';
import { count } from '../tally.js';
import type { KillRig } from './killRig.js';

/** What a deploy killed mid-way should end as once the bot is back. */
export type Outcome = 'resumed' | 'rolled back' | 'done before the kill';

const expected = {
  resumed: {
    headline: /^✅ Done: Deploy alice \(swe, hetzner\) · job #1 · /,
    note: '↻ Resumed after a restart of fleetbot',
    job: 'succeeded',
    agent: 'running',
  },
  'done before the kill': {
    headline: /^✅ Done: Deploy alice \(swe, hetzner\) · job #1 · /,
    note: '✅ Create server',
    job: 'succeeded',
    agent: 'running',
  },
  'rolled back': {
    headline: /^❌ Failed, rolled back: Deploy alice \(swe, hetzner\) · job #1 · /,
    note: '↩ Rolled back after a restart of fleetbot',
    job: 'rolled_back',
    agent: 'failed',
  },
} as const;

/**
 * After a restart, waits for the deploy to end and checks that everyone tells the same truth: the one
 * card, the job and agent rows, and the fake clouds (every server and record named by the running
 * agent's resources, or gone; none made twice), and that the restarted bot polled past the /deploy
 * update so it was handled once. Resources nothing names are counted as leaked.
 */
export async function expectTruthAfterRestart(
  rig: KillRig,
  outcome: Outcome,
  deploy: { update: number; restartedAt: number },
  /** Lines the final card must show besides the headline and the restart note. */
  shows: RegExp[] = [],
): Promise<void> {
  const { telegram, cloud } = rig;
  const want = expected[outcome];
  await telegram.waitFor(() => /^(✅|❌)/.test(telegram.lastText(annDm.id) ?? ''), 30_000);

  const [agent] = rig.query<{ status: string; resources: string }>(
    "SELECT status, resources FROM agents WHERE name = 'alice'",
  );
  const owned = (agent?.status === 'running' ? JSON.parse(agent.resources) : {}) as Record<string, unknown>;
  const servers = cloud.hetzner.servers();
  const records = cloud.cloudflare.records();
  count(
    'leaked',
    servers.filter((s) => s.id !== owned.serverId).length +
      records.filter((r) => r.id !== owned.dnsRecordId).length,
  );

  const card = telegram.messages(annDm.id);
  expect(card.map((m) => m.plainText.split('\n')[0])).toEqual([expect.stringMatching(want.headline)]);
  const lines = card[0]!.plainText.split('\n');
  expect(lines[1]).toMatch(new RegExp(`^${want.note}`));
  for (const line of shows) expect(lines).toContainEqual(expect.stringMatching(line));
  expect(rig.query('SELECT status FROM jobs')).toEqual([{ status: want.job }]);
  expect(agent?.status).toBe(want.agent);
  expect(rig.created).toEqual({ servers: 1, records: 1 });
  if (want.job === 'succeeded') {
    const steps = lines.slice(outcome === 'resumed' ? 2 : 1);
    expect(steps.slice(0, 10).filter((l) => !l.startsWith('✅ '))).toEqual([]);
    expect(lines).toContain('URL: https://alice.agents.example.test');
    expect(servers.map((s) => [s.id, s.status])).toEqual([[owned.serverId, 'running']]);
    expect(records.map((r) => r.id)).toEqual([owned.dnsRecordId]);
    const health = await cloud.machines.publicHealth(
      'https://alice.agents.example.test/health',
      AbortSignal.timeout(5_000),
    );
    expect(health.state).toBe('healthy');
  } else {
    expect(lines).toContain(
      'Everything this job created was removed. Fix the cause and run /deploy swe alice again.',
    );
    expect(servers).toEqual([]);
    expect(records).toEqual([]);
  }

  // /jobs answers the held long poll too, so the restarted bot's polls are all on record afterwards.
  telegram.sendText({ chat: annDm, from: ann, text: '/jobs' });
  await telegram.waitFor(() => telegram.messages(annDm.id).length === 2, 10_000);
  expect(telegram.lastText(annDm.id)).toMatch(new RegExp(`^Recent jobs\n#1 deploy alice · ${want.job}`));
  expect(telegram.lastText(annDm.id)).not.toMatch(/#2/);
  const polls = telegram.calls.filter((c) => c.method === 'getUpdates' && c.at >= deploy.restartedAt);
  expect(polls.length).toBeGreaterThan(0);
  expect(polls.filter((c) => Number(c.params.offset ?? 0) <= deploy.update)).toEqual([]);
  telegram.assertNoViolations();
}
