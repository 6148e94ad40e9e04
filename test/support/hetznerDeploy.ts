import { expect } from 'vitest';
import { startConsoleBot } from './consoleSession.js';
import { tempDir } from './env.js';
import type { MachineFault } from './fakeMachines.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import {
  fakeCloudProvider,
  startHetznerCloud,
  type HetznerCloud,
  type HetznerCloudOptions,
} from './hetznerCloud.js';

type Defer = (fn: () => Promise<void> | void) => void;

/** The console bot with the hetzner provider against fresh fakes; `defer` registers their teardown. */
export async function startHetznerBot(
  defer: Defer,
  opts: HetznerCloudOptions = {},
  env: Record<string, string> = {},
) {
  const tmp = tempDir();
  defer(tmp.cleanup);
  const cloud: HetznerCloud = await startHetznerCloud(opts);
  defer(() => cloud.close());
  const s = await startConsoleBot(
    tmp.dir,
    { ANTHROPIC_API_KEY: 'sk-ant-very-secret', ...env },
    { providers: [cloud.provider] },
  );
  defer(() => s.stop());
  return { s, cloud };
}
export type HetznerBot = Awaited<ReturnType<typeof startHetznerBot>>;

/** Another fleetbot, with its own store and instance id, on the same Hetzner project and zone as `cloud`. */
export async function startSecondBot(
  defer: Defer,
  cloud: HetznerCloud,
  instance: string,
  env: Record<string, string> = {},
) {
  const tmp = tempDir();
  defer(tmp.cleanup);
  const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
  defer(() => pool.close());
  const provider = fakeCloudProvider(cloud.endpoints, cloud.machines, pool, { instance });
  const s = await startConsoleBot(
    tmp.dir,
    { ANTHROPIC_API_KEY: 'sk-ant-very-secret', ...env },
    { providers: [provider] },
  );
  defer(() => s.stop());
  return s;
}

export const deployAlice = '/deploy swe alice --provider hetzner';

/** The steps of alice's hetzner deploy, in the order its card lists them. */
export const deployPhases = [
  'Create server',
  'Wait for server to run',
  'Create DNS record alice.agents.example.test',
  'Wait for SSH',
  'Verify SSH host key',
  'Upload agent, config and secrets',
  'Start agent service',
  'Wait for local health',
  'Start Caddy (TLS)',
  'Check https://alice.agents.example.test/health',
];

/** The last version of alice's deploy card. */
export const deployCard = ({ s }: HetznerBot): string => s.find(/Deploy alice/)!.versions.at(-1)!;

/** Servers and DNS records still held by the fakes. */
export const leftovers = ({ cloud }: HetznerBot): number =>
  cloud.hetzner.servers().length + cloud.cloudflare.records().length;

/**
 * One way to make a deploy step fail. `times` is how often an API fault repeats: once is enough for
 * an error the client never retries, a persistent fault outlasts the retries of any call.
 */
export type StepFault = {
  step: string;
  error: RegExp;
  fault?: MachineFault;
  inject?: (cloud: HetznerCloud, times: number) => void;
};

export const stepFaults: StepFault[] = [
  {
    step: 'Create server',
    error: /Hetzner has no capacity/,
    inject: (c, times) =>
      c.hetzner.failNext(
        { method: 'POST', path: '/servers' },
        { status: 412, code: 'resource_unavailable', message: 'sold out' },
        times,
      ),
  },
  {
    step: 'Create DNS record alice.agents.example.test',
    error: /another record already uses that name/,
    inject: (c, times) =>
      c.cloudflare.failNext(
        { method: 'POST' },
        { status: 400, code: 81053, message: 'record with that host already exists' },
        times,
      ),
  },
  {
    step: 'Wait for server to run',
    error: /may not do reading server/,
    inject: (c, times) =>
      c.hetzner.failNext(
        { method: 'GET', path: /^\/servers\/\d+$/ },
        { status: 403, code: 'forbidden', message: 'no' },
        times,
      ),
  },
  {
    step: 'Verify SSH host key',
    error: /presented an SSH host key other than the one fleetbot pinned for it/,
    fault: 'wrong-host-key',
  },
  {
    step: 'Upload agent, config and secrets',
    error: /Creating the agent user and folder failed on the machine/,
    fault: 'folder-fails',
  },
  {
    step: 'Start agent service',
    error: /nftables is not installed on the machine \(no \/usr\/sbin\/nft\).*\(apt-get install nftables\)/,
    fault: 'no-nftables',
  },
  {
    step: 'Start agent service',
    error: /Starting fleetbot-alice.service failed on the machine/,
    fault: 'unit-fails',
  },
  {
    step: 'Wait for local health',
    error: /gave no healthy answer within 2 s \(injected failure: curl/,
    fault: 'no-health',
  },
  { step: 'Start Caddy (TLS)', error: /Starting Caddy failed on the machine/, fault: 'caddy-fails' },
  { step: 'Check https://alice.agents.example.test/health', error: /connection refused/, fault: 'no-https' },
];

/** Builds the golden image, arms `fault`, deploys alice and checks the card and the clouds after the rollback. */
export async function expectStepRollsBack(
  bot: HetznerBot,
  { step, error, fault, inject }: StepFault,
  times = 1,
) {
  const { s, cloud } = bot;
  await s.type('/image build swe');
  inject?.(cloud, times);
  if (fault) cloud.machines.inject(fault);
  await s.type(deployAlice);
  const final = deployCard(bot);
  expect(final).toMatch(/^❌ Failed, rolled back: Deploy alice/);
  const failed = final.split('\n').find((l) => l.startsWith(`❌ ${step}: `));
  expect(failed).toMatch(error);
  if (step !== 'Create server') expect(final).toContain('↩️ Create server: cleaned up');
  expect(final).toContain('Everything this job created was removed.');
  expect(cloud.hetzner.servers()).toEqual([]);
  expect(cloud.cloudflare.records()).toEqual([]);
}
