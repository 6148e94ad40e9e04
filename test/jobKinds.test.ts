import { describe, expect, it } from 'vitest';
import { message } from '../src/core/chat/outbound.js';
import { createMessenger } from '../src/core/chat/messenger.js';
import { createFleet } from '../src/core/fleet/fleet.js';
import { jobKinds } from '../src/core/fleet/jobs/index.js';
import type { Provider } from '../src/core/fleet/provider.js';
import { loadRoles } from '../src/core/fleet/roles.js';
import { roleSections } from '../src/providers/index.js';
import { chatSections } from '../src/protocols/index.js';
import { redrawCardsBehind } from '../src/core/jobs/redraw.js';
import { createJobService } from '../src/core/jobs/service.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';
import { silentLog } from './support/env.js';
import { addRequester } from './support/imageJob.js';
import { memoryBridge } from './support/memoryBridge.js';

const chat = { platform: 'telegram' as const, chatId: '1' };

/** A fleet on a provider whose deploy is one step, over a store where a previous process left jobs. */
function restartedFleet() {
  const store = openStore(':memory:', systemClock);
  addRequester(store);
  const mem = memoryBridge('telegram');
  const messenger = createMessenger([mem.bridge]);
  const jobs = createJobService({ store, messenger, clock: systemClock, log: silentLog, concurrency: 2 });
  const provider: Provider = {
    name: 'test',
    deployPlan: ({ agent }) => [
      {
        key: 'start',
        title: 'Start agent',
        rerunnable: true,
        run: async () => ({ url: `http://${agent.name}.test` }),
      },
    ],
    restartPlan: () => [],
    destroyPlan: () => [],
    status: async () => ({ state: 'healthy', detail: 'ok' }),
    logs: async () => [],
    findRunning: async () => [],
  };
  const fleet = createFleet({
    store,
    jobs,
    providers: new Map([['test', provider]]),
    roles: loadRoles('templates/roles', roleSections, chatSections),
    defaultProvider: 'test',
    agentEnv: () => undefined,
    probeChat: () => Promise.reject(new Error('these roles have daemons')),
    clock: systemClock,
    log: silentLog,
  });
  /** A job on a new agent `name` that was running its first step, on a card, when fleetbot stopped. */
  const leftRunning = async (
    kind: string,
    name: string,
    params: (agentId: number) => Record<string, unknown>,
  ) => {
    const agent = store.agents.create({ name, role: 'swe', provider: 'test', owner: 'telegram:1' });
    const job = store.jobs.create({
      kind,
      subject: name,
      agentId: agent.id,
      params: params(agent.id),
      requester: 'telegram:1',
      chat,
    });
    store.steps.createAll(job.id, [{ key: 'start', title: 'Start agent' }]);
    const card = await mem.bridge.send(chat, message(`🚀 Running: ${kind} ${name}`));
    store.jobs.setMessage(job.id, card.messageId);
    store.jobs.start(job.id);
    store.steps.mark(job.id, 0, 'running', { output: { pid: 4711 } });
    return job;
  };
  const redraw = () =>
    redrawCardsBehind({ store, messenger, clock: systemClock, log: silentLog, wordingOf: fleet.cardWording });
  return { store, mem, jobs, fleet, leftRunning, redraw };
}

describe('job kinds', () => {
  it('are each registered once, under the name the store holds', () => {
    const names = jobKinds.map((k) => k.kind);
    expect(names).toEqual([...new Set(names)]);
    expect(names.sort()).toEqual(['deploy', 'destroy', 'image', 'restart']);
  });

  it('after a restart, a job of a kind fleetbot does not know fails saying so, and the others are taken up', async () => {
    const t = restartedFleet();
    const unknown = await t.leftRunning('frobnicate', 'alice', (agentId) => ({ agentId }));
    const known = await t.leftRunning('deploy', 'bob', (agentId) => ({ agentId, options: {} }));

    const taken = t.fleet.resumeUnfinished();
    await t.jobs.idle();
    await t.redraw();

    expect(taken.stranded.map((j) => j.id)).toEqual([unknown.id]);
    expect(taken.resumed.map((j) => j.id)).toEqual([known.id]);
    expect(t.store.jobs.byId(unknown.id)).toMatchObject({
      status: 'failed',
      error:
        'fleetbot could not take this job up after a restart: there is no job kind "frobnicate" in this version of fleetbot',
    });
    // Whatever it made is kept on record, for /destroy.
    expect(t.store.agents.live('alice')).toMatchObject({ status: 'broken', resources: { pid: 4711 } });
    expect(t.mem.texts()[0]).toMatch(
      /^❌ Failed, cleanup incomplete: frobnicate alice · job #1 · .*\n⏳ Start agent… .*\nfleetbot could not take this job up after a restart: there is no job kind "frobnicate" in this version of fleetbot\nSome of what it created could not be removed; it is still recorded\. Check \/status alice; \/destroy alice removes whatever it created\.$/,
    );
    expect(t.store.agents.live('bob')).toMatchObject({ status: 'running', url: 'http://bob.test' });
    expect(t.mem.texts()[1]).toMatch(
      /^✅ Done: Deploy bob \(swe, test\) · job #2 .*\n↻ Resumed after a restart of fleetbot\n/,
    );
  });

  it('after a restart, a job whose stored params do not fit its kind fails saying which', async () => {
    const t = restartedFleet();
    const misfit = await t.leftRunning('deploy', 'alice', () => ({ agentId: 'alice', options: [] }));

    expect(t.fleet.resumeUnfinished().stranded.map((j) => j.id)).toEqual([misfit.id]);
    await t.redraw();

    const error =
      'fleetbot could not take this job up after a restart: its parameters do not fit a deploy job (agentId: Invalid input: expected number, received string; options: Invalid input: expected record, received array)';
    expect(t.store.jobs.byId(misfit.id)).toMatchObject({ status: 'failed', error });
    expect(t.store.agents.live('alice')).toMatchObject({ status: 'broken' });
    expect(t.mem.texts()[0]).toContain(`\n${error}\n`);
  });
});
