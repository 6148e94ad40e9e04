import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Plan } from '../../src/core/jobs/plan.js';
import type { DeployOptions, Provider } from '../../src/core/fleet/provider.js';
import { loadRoles } from '../../src/core/fleet/roles.js';
import type { Agent } from '../../src/core/store/agents.js';
import { openStore } from '../../src/core/store/index.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import type { ProviderModule } from '../../src/providers/module.js';
import { runPlanAsJob } from '../support/planJob.js';

/** A provider built against its test environment (a data folder, an ssh2 server, the fake clouds). */
export type ProviderUnderTest = {
  provider: Provider;
  /** The same provider built afresh, as fleetbot builds it after a restart of its own. */
  rebuilt(): Provider;
  /** The address its agents get here; none where only the host owner's DNS could give one. */
  url: RegExp | undefined;
  /** The /deploy options this environment needs (which host), as a person would give them. */
  options: DeployOptions;
  /** The agent's name; `alice` unless the environment is shared with other tests (one dockerd). */
  agentName?: string;
  /** What the provider made that still exists (processes, unit files, servers, DNS records). */
  leftovers(): string[];
  close(): Promise<void>;
};

export type ProviderFactory = {
  module: ProviderModule;
  start(): Promise<ProviderUnderTest>;
};

/**
 * What every provider must do, run the way the job service runs it: a plan per job with its steps on
 * record, the outputs merged into the agent's resources.
 */
export function providerContract(factory: ProviderFactory): void {
  const { module } = factory;
  describe(`provider ${module.name} keeps the provider contract`, () => {
    const store = openStore(':memory:', systemClock);
    const role = loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
    let env: ProviderUnderTest;
    let agent: Agent;

    /** Runs a plan as a job of the given kind; the agent's record takes its outputs. */
    const run = async (kind: string, plan: Plan) => {
      const { outcome, resources } = await runPlanAsJob(store, agent, kind, plan);
      agent = { ...agent, resources };
      return outcome;
    };

    beforeAll(async () => {
      env = await factory.start();
      agent = store.agents.create({
        name: env.agentName ?? 'alice',
        role: role.name,
        provider: module.name,
        owner: 'console:local',
      });
    }, 30_000);
    afterAll(async () => {
      await env?.close();
      store.close();
    });

    it('takes only /deploy flags its schemas accept, each refusal naming the flag', () => {
      for (const [name, flag] of Object.entries(module.deployFlags)) {
        expect(flag.schema.safeParse('Not A Value!').error?.issues[0]?.message, name).toContain(`--${name}`);
        if (env.options[name] !== undefined)
          expect(flag.schema.parse(env.options[name])).toBe(env.options[name]);
      }
      for (const name of Object.keys(env.options)) expect(Object.keys(module.deployFlags)).toContain(name);
    });

    it('deploys to a healthy agent, with its url where the provider gives one', async () => {
      await env.provider.prepare?.({ role, options: env.options });
      const plan = env.provider.deployPlan({
        agent,
        role,
        secrets: { ANTHROPIC_API_KEY: 'sk-ant-contract' },
        options: env.options,
        neighbours: [],
      });
      const outcome = await run('deploy', plan);
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('succeeded');
      if (env.url) expect(agent.resources.url).toMatch(env.url);
      else expect(agent.resources.url).toBeUndefined();
      expect((await env.provider.status(agent)).state).toBe('healthy');
      // What "nothing behind" is later checked against is really there now.
      expect(env.leftovers()).not.toEqual([]);
    }, 30_000);

    it('shows the agent’s log lines', async () => {
      const lines = await env.provider.logs(agent, 20);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThanOrEqual(20);
    });

    it('restarts the agent, which is healthy again', async () => {
      const outcome = await run('restart', env.provider.restartPlan(agent, role));
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('succeeded');
      expect((await env.provider.status(agent)).state).toBe('healthy');
    }, 30_000);

    it('reaches the agent’s own port for a conversation, the role’s port meaning wherever it listens', async (ctx) => {
      if (!env.provider.channels) return ctx.skip();
      const socket = await env.provider.channels(agent, role).connect(role.agent.port!);
      socket.end(`GET ${role.agent.healthPath} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
      let answer = '';
      for await (const chunk of socket) answer += String(chunk);
      expect(answer).toMatch(/^HTTP\/1\.[01] 200/);
      expect(answer).toContain(`"name":"${agent.name}"`);
    });

    it('finds the agent running by its record after fleetbot itself restarted', async () => {
      const [found] = await env.rebuilt().findRunning([agent]);
      expect(found).toMatchObject({ running: true });
      expect(found?.agent.id).toBe(agent.id);
    }, 30_000);

    it('destroys the agent and leaves nothing behind', async () => {
      const outcome = await run('destroy', env.provider.destroyPlan(agent));
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('succeeded');
      await expect.poll(() => env.leftovers(), { timeout: 5_000 }).toEqual([]);
      const [found] = await env.provider.findRunning([agent]);
      expect(found?.running).toBe(false);
      if (env.provider.inventory) expect((await env.provider.inventory([])).found).toEqual([]);
    }, 30_000);

    it('destroys an agent that is already gone without error', async () => {
      const outcome = await run('destroy', env.provider.destroyPlan(agent));
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('succeeded');
      expect(env.leftovers()).toEqual([]);
    }, 30_000);
  });
}
