import { startFakeTelegram } from '../test/fakes/telegram/index.js';
import { tempDir } from '../test/support/env.js';
import { ann, annDm, startTelegramBot } from '../test/support/telegramSession.js';
import type { Benchmark } from './row.js';
import { median, repeat } from './stats.js';
import { destroyAll } from './support/destroyAll.js';

/** The bridge's own default pacing, against the fake's default flood limits (1 a second per chat, bursts of 3). */
const realPace = { private: { minIntervalMs: 1000 }, group: { minIntervalMs: 1000, perMinute: 20 } };

/** One run: n deploys sent at once in one private chat, run to the end together. */
async function oneChat(n: number): Promise<{ tooManyRequests: number; maxEdits: number; steps: number }> {
  const tmp = tempDir('fleetbot-bench-');
  const s = await startTelegramBot(tmp.dir, {
    fake: await startFakeTelegram(),
    pace: realPace,
    env: { FLEETBOT_CONCURRENCY: String(n) },
  });
  try {
    for (let i = 0; i < n; i++) s.fake.sendText({ chat: annDm, from: ann, text: `/deploy swe bench${i}` });
    await s.fake.waitFor(() => s.bot.store.jobs.recent(n).length === n, 30_000);
    await s.bot.idle();
    const jobs = s.bot.store.jobs.recent(n);
    if (jobs.some((j) => j.status !== 'succeeded')) throw new Error('a deploy did not succeed');
    const cards = new Map(s.fake.messages(annDm.id).map((m) => [String(m.messageId), m]));
    // A card's first version is the send; every later one is an edit.
    const edits = jobs.map((job) => (cards.get(job.messageId ?? '')?.history.length ?? 0) - 1);
    const steps = Math.min(...jobs.map((job) => s.bot.store.steps.forJob(job.id).length));
    s.fake.assertNoViolations();
    return { tooManyRequests: s.fake.stats.tooManyRequests, maxEdits: Math.max(...edits), steps };
  } finally {
    await destroyAll(s.bot, `telegram:${ann.id}`);
    await s.stop();
    tmp.cleanup();
  }
}

/** B5: n jobs at once in one Telegram chat at the real pace: 429s received, and edits per job card. */
export const oneChatJobs: Benchmark = async ({ quick }) => {
  const n = quick ? 5 : 20;
  const runs = await repeat(quick ? 1 : 3, () => oneChat(n));
  return [
    {
      id: 'B5',
      what: `${n} jobs at once in one chat: 429s received`,
      measured: median(runs.map((r) => r.tooManyRequests)),
      unit: '',
      target: 0,
      detail: { runs },
    },
    {
      id: 'B5',
      what: 'edits per job card (worst card); target steps + 2',
      measured: median(runs.map((r) => r.maxEdits)),
      unit: '',
      target: runs[0]!.steps + 2,
      detail: { runs },
    },
  ];
};
