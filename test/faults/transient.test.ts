import { describe, expect, it } from 'vitest';
import { useCleanups } from '../support/cleanups.js';
import { deployAlice, deployCard, startHetznerBot } from '../support/hetznerDeploy.js';
import { deployCalls, failCall, withHetznerBot, type TransientReply } from './support/apiCalls.js';
import { count } from './tally.js';

// Short enough that a held-back answer costs little, long enough that a loaded CI box still answers in time.
const clientTimeoutMs = 1_000;

const faults: TransientReply[] = [
  {
    name: '500',
    hetzner: { status: 500, code: 'server_error', message: 'injected' },
    cloudflare: { status: 500, code: 10001, message: 'injected' },
  },
  {
    // The Cloudflare fake sends Retry-After: 1 with it, the Hetzner fake its current RateLimit-Reset.
    name: '429',
    hetzner: { status: 429, code: 'rate_limit_exceeded', message: 'injected' },
    cloudflare: { status: 429, code: 971, message: 'injected' },
  },
  {
    name: 'timeout',
    hetzner: { delayMs: clientTimeoutMs * 2 },
    cloudflare: { delayMs: clientTimeoutMs * 2 },
  },
  { name: 'malformed JSON', hetzner: { malformedJson: true }, cloudflare: { malformedJson: true } },
  { name: 'connection reset', hetzner: { dropConnection: true }, cloudflare: { dropConnection: true } },
];

const calls = await withHetznerBot(deployCalls);
const cases = calls.flatMap((call) =>
  faults.map((fault) => ({ call, fault, title: `${call.api} ${call.method} ${call.shape}: ${fault.name}` })),
);

// Every case must end in one working agent, creates included: a create whose answer was lost is
// retried only after a look-up (servers by label, DNS records by name) shows it did not land.
describe('an API call that fails once does not fail the deploy', () => {
  const defer = useCleanups();

  it('a clean deploy makes Hetzner and Cloudflare calls to fail', () => {
    expect(calls.map((c) => c.api)).toEqual(expect.arrayContaining(['hetzner', 'cloudflare']));
  });

  it.each(cases)('$title', async ({ call, fault }) => {
    const bot = await startHetznerBot(defer, { timeoutMs: clientTimeoutMs });
    await bot.s.type('/image build swe');
    failCall(bot, call, fault);
    count('faults');
    await bot.s.type(deployAlice);
    // The held-back answer of a timed-out call still lands; let it, so a duplicate it made shows.
    if (fault.name === 'timeout') await new Promise((r) => setTimeout(r, clientTimeoutMs * 2));
    const servers = bot.cloud.hetzner.servers().length;
    const records = bot.cloud.cloudflare.records().length;
    const card = deployCard(bot);
    // A working agent owns one of each; anything more, or anything left by a failed deploy, leaked.
    const owned = card.startsWith('✅ Done') ? 1 : 0;
    count('leaked', Math.max(0, servers - owned) + Math.max(0, records - owned));
    expect(card).toMatch(/^✅ Done: Deploy alice/);
    expect({ servers, records }).toEqual({ servers: 1, records: 1 });
  });
});
