import type { Clock } from '../runtime/clock.js';
import { UserError } from '../runtime/errors.js';
import type { JobWording } from '../jobs/card.js';
import type { JobService } from '../jobs/service.js';
import type { Logger } from '../runtime/logging.js';
import type { AgentChannels, AgentHealth, DeployOptions, Provider } from './provider.js';
import { daemonOf, type Role } from './roles.js';
import type { ChatProbe } from './chatProbe.js';
import { checkHealth } from './healthCheck.js';
import type { Agent } from '../store/agents.js';
import type { Store } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import { createLookups } from './lookups.js';
import { deployJob } from './jobs/deploy.js';
import { destroyJob } from './jobs/destroy.js';
import { imageJob } from './jobs/image.js';
import { createJobLauncher, type Origin } from './jobs/launch.js';
import { restartJob } from './jobs/restart.js';
import { agentText } from '../chat/text.js';
import { chatToken } from './chatToken.js';

/** How much of an agent's own words a chat message carries: a health detail, one line of its output. */
const maxDetailChars = 300;
const maxLogLineChars = 500;

/** Fleet operations in platform-neutral terms: what commands ask for, turned into jobs and answers. */
export function createFleet(deps: {
  store: Store;
  jobs: JobService;
  providers: Map<string, Provider>;
  roles: Map<string, Role>;
  defaultProvider: string;
  /** FLEETBOT_MAX_AGENTS_PER_PERSON: live agents one person may own at once; no limit when undefined. */
  maxAgentsPerPerson?: number | undefined;
  agentEnv: (name: string) => string | undefined;
  /** Whether an agent without a daemon starts and answers when spoken to. */
  probeChat: ChatProbe;
  clock: Clock;
  log: Logger;
}) {
  const { store, jobs, providers, roles } = deps;
  const lookups = createLookups(deps);
  const { providerOf, roleOf, imageProvider } = lookups;

  const probe = (agent: Agent, role: Role): Promise<AgentHealth> => {
    const provider = providerOf(agent.provider);
    if (!provider.channels)
      return Promise.resolve({
        state: 'unhealthy',
        detail: `has no daemon, and agents on ${provider.name} cannot be started when spoken to`,
      });
    return deps.probeChat(agent, role, provider.channels(agent, role));
  };

  /** An agent without a daemon is healthy when its place is there (provider) and it answers (probe). */
  const daemonlessHealth = async (agent: Agent, role: Role): Promise<AgentHealth> => {
    const there = await providerOf(agent.provider).status(agent);
    if (there.state !== 'healthy') return there;
    const answers = await probe(agent, role);
    return answers.state === 'healthy'
      ? { ...answers, detail: `${there.detail}; ${answers.detail}` }
      : answers;
  };

  const launcher = createJobLauncher({
    store,
    jobs,
    jobDeps: { ...lookups, store, probe },
    log: deps.log,
  });

  /** The URL the monitor checks for an agent with a daemon, if it has one yet. */
  const healthUrl = (agent: Agent): string | undefined => {
    const provider = providers.get(agent.provider);
    if (provider?.healthUrl) return provider.healthUrl(agent);
    return agent.url ? `${agent.url}/health` : undefined;
  };

  const find = (name: string): Agent => {
    const agent = store.agents.live(name);
    if (!agent) throw new UserError(`There is no agent named ${name}. /list shows the agents.`, 'not_found');
    return agent;
  };

  return {
    roles: (): Role[] => [...roles.values()],
    list: (opts: { includeGone?: boolean } = {}): Agent[] => store.agents.list(opts),
    find,
    /** Refuses while a job holds the agent. */
    assertIdle: (agent: Agent): void => jobs.assertIdle(agent.name),

    async deploy(
      req: Origin & { role: string; name: string; provider?: string; options?: DeployOptions },
    ): Promise<Job> {
      const role = roleOf(req.role);
      const provider = providerOf(req.provider ?? deps.defaultProvider);
      // A missing secret is refused before the agent's record is made.
      lookups.secretsFor(role);
      const refuseTaken = (): void => {
        const existing = store.agents.live(req.name);
        if (!existing) return;
        const busy = store.jobs.activeFor(existing.name);
        throw new UserError(
          busy
            ? `${req.name} is already being deployed by job #${busy.id} (${busy.status}). Follow its card, or /cancel ${busy.id}.`
            : `An agent named ${req.name} already exists (${existing.status}). Pick another name, or /destroy ${req.name} first.`,
          'conflict',
        );
      };
      const refuseOverQuota = (): void => {
        const limit = deps.maxAgentsPerPerson;
        if (limit === undefined) return;
        const owned = store.agents.list().filter((a) => a.owner === req.requester);
        if (owned.length < limit) return;
        throw new UserError(
          `You already own ${owned.length} agent${owned.length === 1 ? '' : 's'} (${owned.map((a) => a.name).join(', ')}); the limit is ${limit} per person. /destroy one first, or ask an admin to raise FLEETBOT_MAX_AGENTS_PER_PERSON in fleetbot's config.`,
        );
      };
      refuseTaken();
      refuseOverQuota();
      const options = req.options ?? {};
      await provider.prepare?.({ role, options });
      // Checked again: the name may have been taken (or a deploy started) while the provider looked things up.
      refuseTaken();
      refuseOverQuota();
      const agent = store.agents.create({
        name: req.name,
        role: role.name,
        provider: provider.name,
        owner: req.requester,
      });
      try {
        return launcher.submit(deployJob, { agentId: agent.id, options }, req);
      } catch (err) {
        store.agents.update(agent.id, { status: 'failed' });
        throw err;
      }
    },

    restart: (req: Origin & { agent: Agent }): Job =>
      launcher.submit(restartJob, { agentId: req.agent.id }, req),

    destroy(req: Origin & { agent: Agent }): Job {
      const job = launcher.submit(destroyJob, { agentId: req.agent.id }, req);
      store.agents.update(req.agent.id, { status: 'destroying' });
      return job;
    },

    /** Builds a role's golden image as a job of its own (no agent), on the provider that boots from images. */
    buildImage: (req: Origin & { role: string; provider?: string }): Job =>
      launcher.submit(imageJob, { role: req.role, provider: req.provider }, req),

    images: (providerName?: string) => imageProvider(providerName).images.list(),

    /** What a destroy of this agent would do, step by step, for the confirmation card. */
    destroyPreview: (agent: Agent): string[] =>
      providerOf(agent.provider)
        .destroyPlan(agent)
        .map((s) => s.title.toLowerCase()),

    async status(agent: Agent): Promise<AgentHealth> {
      if (agent.status === 'broken' && agent.resources.adopted)
        return {
          state: 'unhealthy',
          detail:
            'adopted after its record was lost: fleetbot lists it and can destroy it, but does not manage it',
        };
      if (agent.status !== 'running' && agent.status !== 'stopped') {
        return { state: 'stopped', detail: `agent is ${agent.status}` };
      }
      const role = lookups.findRole(agent.role);
      const health =
        role && !daemonOf(role)
          ? await daemonlessHealth(agent, role)
          : await providerOf(agent.provider).status(agent);
      return { ...health, detail: agentText(health.detail, maxDetailChars) };
    },

    /**
     * The monitor's check of one agent: its daemon's health (the provider's own check, or an HTTP
     * check of its health URL), or for an agent without one whether it starts and answers, which
     * costs a process start and so is `slow`: run on a longer interval.
     */
    check(agent: Agent, timeoutMs: number): { slow: boolean; run: () => Promise<AgentHealth> } {
      const role = lookups.findRole(agent.role);
      if (role && !daemonOf(role)) return { slow: true, run: () => daemonlessHealth(agent, role) };
      const provider = providers.get(agent.provider);
      if (provider?.check) return { slow: false, run: () => provider.check!(agent, timeoutMs) };
      const url = healthUrl(agent);
      return {
        slow: false,
        run: async () =>
          url
            ? checkHealth(url, { timeoutMs })
            : { state: 'unhealthy', detail: 'the agent has no health URL yet' },
      };
    },

    /** The ways into a running agent that conversations use (`/ask`), with its role. */
    reach(agent: Agent): { role: Role; channels: AgentChannels; token?: string } {
      const provider = providerOf(agent.provider);
      const role = lookups.findRole(agent.role);
      if (!role)
        throw new UserError(
          `${agent.name}’s role ${agent.role} has no role file any more, so fleetbot does not know how to talk to it. Put the role file back, or /destroy ${agent.name}.`,
        );
      if (!provider.channels)
        throw new UserError(
          `Agents on ${provider.name} cannot be talked to from chat; /logs ${agent.name} shows their output.`,
        );
      const token = chatToken(store, role, agent);
      return { role, channels: provider.channels(agent, role), ...(token ? { token } : {}) };
    },

    /** The agent's own output, each line cleaned and cut: it is the agent's text, headed for a chat. */
    logs: async (agent: Agent, lines: number): Promise<string[]> =>
      (await providerOf(agent.provider).logs(agent, lines)).map((line) => agentText(line, maxLogLineChars)),

    /**
     * At start, before the bridges: agents recorded as running are checked against what really runs.
     */
    async recover(): Promise<{ adopted: string[]; missing: string[] }> {
      const adopted: string[] = [];
      const missing: string[] = [];
      for (const provider of providers.values()) {
        const agents = store.agents.list({ provider: provider.name }).filter((a) => a.status === 'running');
        for (const found of await provider.findRunning(agents)) {
          (found.running ? adopted : missing).push(found.agent.name);
          if (!found.running) {
            store.agents.update(found.agent.id, { status: 'stopped' });
            deps.log.warn(
              { agent: found.agent.name, detail: found.detail },
              'agent recorded as running is not running',
            );
          }
        }
      }
      return { adopted, missing };
    },

    /** How a job's card presents it when drawn again after a restart: as submitted, where it can be built. */
    cardWording: (job: Job): JobWording => launcher.wordingOf(job),

    /** At start, once the bridges run: takes up the jobs a previous process left unfinished. */
    resumeUnfinished: () => launcher.resumeUnfinished(),
  };
}
export type Fleet = ReturnType<typeof createFleet>;
