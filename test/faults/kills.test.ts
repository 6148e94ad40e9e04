import { describe, expect, it, onTestFailed } from 'vitest';
import { useCleanups } from '../support/cleanups.js';
import { ann, annDm } from '../support/telegramSession.js';
import { expectTruthAfterRestart, type Outcome } from './support/killChecks.js';
import { startKillRig, type BotProcess, type KillRig } from './support/killRig.js';
import { count } from './tally.js';

type KillCase = {
  name: string;
  /** Starts the bot, sends /deploy and kills the bot somewhere in the job; resolves to the update's id once it is dead. */
  killed: (rig: KillRig) => Promise<number>;
  outcome: Outcome;
  shows?: RegExp[];
  /** How many times the bot is killed; once unless said. */
  kills?: number;
};

/** Stops the bot just before `at` ("run <step>" or "undo <step>") begins, then kills it. */
const atBoundary = (at: string) => async (rig: KillRig) => {
  const bot = rig.startBot(at);
  const update = await deployAlice(rig);
  await bot.paused;
  await bot.kill();
  return update;
};

/** Kills the bot inside the fake's create handler: the resource exists, the bot never hears of it. */
const insideCreate = (what: 'server' | 'record') => async (rig: KillRig) => {
  const bot = rig.startBot();
  let killed: Promise<void> | undefined;
  rig.during[what] = () => (killed ??= bot.kill());
  const update = await deployAlice(rig);
  await rig.telegram.waitFor(() => killed !== undefined, 20_000);
  await killed;
  return update;
};

async function deployAlice(rig: KillRig): Promise<number> {
  await rig.telegram.waitFor(() => rig.telegram.isPolling(), 20_000);
  return rig.telegram.sendText({ chat: annDm, from: ann, text: '/deploy swe alice --provider hetzner' });
}

// The deploy's steps in the order they start; a kill just before one begins is a kill at the boundary after the one before.
const steps = ['server', 'boot', 'dns', 'ssh', 'hostkey', 'upload', 'start', 'health', 'caddy', 'https'];

const cases: KillCase[] = [
  ...steps.map((key) => ({
    name: `before step ${key}`,
    killed: atBoundary(`run ${key}`),
    outcome: 'resumed' as const,
  })),
  { name: 'inside Create server, after Hetzner made it', killed: insideCreate('server'), outcome: 'resumed' },
  {
    name: 'inside Create DNS record, after Cloudflare made it',
    killed: insideCreate('record'),
    outcome: 'resumed',
  },
  {
    name: 'twice: before Wait for SSH, then before Start Caddy on the resumed run',
    killed: async (rig) => {
      const update = await atBoundary('run ssh')(rig);
      const resumed = rig.startBot('run caddy');
      await resumed.paused;
      await resumed.kill();
      return update;
    },
    outcome: 'resumed',
    kills: 2,
  },
  {
    name: 'after the last step, before the card could show it',
    killed: async (rig) => {
      const bot = rig.startBot();
      const update = await deployAlice(rig);
      // A long flood wait on the card's first edit keeps the card behind the store.
      rig.telegram.failNext('editMessageText', {
        status: 429,
        description: 'Too Many Requests: retry after 60',
        retryAfter: 60,
      });
      // Killed once the job is done and the flood wait was served to this bot, not to the next one.
      const flooded = () =>
        rig.telegram.calls.some((c) => c.method === 'editMessageText' && c.status === 429);
      await rig.telegram.waitFor(() => rig.jobStatus() === 'succeeded' && flooded(), 20_000);
      await bot.kill();
      return update;
    },
    outcome: 'done before the kill',
  },
  {
    name: 'during the rollback of a deploy whose Caddy fails',
    killed: async (rig) => {
      rig.cloud.machines.inject('caddy-fails');
      return atBoundary('undo upload')(rig);
    },
    outcome: 'rolled back',
    // The failure that started the rollback stays on the card, and every step that made something is undone.
    shows: [
      /^❌ Start Caddy \(TLS\): Starting Caddy failed on the machine \(exit 1\): injected failure/,
      ...[
        'Create server',
        'Create DNS record alice.agents.example.test',
        'Upload agent, config and secrets',
        'Start agent service',
      ].map((title) => new RegExp(`^↩️ ${title}: cleaned up$`)),
      /^✅ Wait for local health · /,
      /^Everything this job created was removed\. Fix the cause and run \/deploy swe alice again\.$/,
    ],
  },
];

describe('kill -9 of the bot during a hetzner deploy, then a restart', () => {
  const defer = useCleanups();

  it.each(cases)('$name: $outcome', async ({ killed, outcome, shows, kills = 1 }) => {
    const rig = await startKillRig();
    defer(() => rig.close());
    onTestFailed(() => console.error(rig.logs()));
    const update = await killed(rig);
    const restartedAt = Date.now();
    const restarted: BotProcess = rig.startBot();
    await expectTruthAfterRestart(rig, outcome, { update, restartedAt }, shows);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    count('kills', kills);
  });
});
