import type { Clock } from './clock.js';
import { UserError } from './errors.js';
import type { JobCopy } from './jobs/card.js';
import type { StepOutput } from './jobs/plan.js';
import type { RunOutcome } from './jobs/runner.js';
import type { JobService } from './jobs/service.js';
import type { Logger } from './logging.js';
import { code, link } from './outbound.js';
import type { AgentHealth, Provider } from './provider.js';
import type { Role } from './roles.js';
import type { Agent, AgentStatus } from './store/agents.js';
import type { Store } from './store/index.js';
import type { Job } from './store/jobs.js';
import type { ChatRef } from './types.js';

type Origin = { requester: string; chat: ChatRef };

const mergeOutputs = (agent: Agent, outputs: Record<string, StepOutput>): Record<string, unknown> =>
  Object.assign({}, agent.resources, ...Object.values(outputs)) as Record<string, unknown>;

/** Fleet operations in platform-neutral terms: what commands ask for, turned into jobs and answers. */
export function createFleet(deps: {
  store: Store;
  jobs: JobService;
  providers: Map<string, Provider>;
  roles: Map<string, Role>;
  defaultProvider: string;
  agentEnv: (name: string) => string | undefined;
  clock: Clock;
  log: Logger;
}) {
  const { store, jobs, providers, roles } = deps;

  const providerOf = (name: string): Provider => {
    const provider = providers.get(name);
    if (!provider) {
      throw new UserError(
        `Provider "${name}" is not configured here. Available: ${[...providers.keys()].join(', ')}.`,
      );
    }
    return provider;
  };

  const roleOf = (name: string): Role => {
    const role = roles.get(name);
    if (!role) {
      throw new UserError(
        `There is no role "${name.slice(0, 40)}". Roles: ${[...roles.keys()].join(', ')} (see /roles).`,
      );
    }
    return role;
  };

  const find = (name: string): Agent => {
    const agent = store.agents.live(name);
    if (!agent) throw new UserError(`There is no agent named ${name}. /list shows the agents.`);
    return agent;
  };

  /** A settle function that moves the agent to the status for each outcome and keeps what was created. */
  const settleTo =
    (statuses: Partial<Record<RunOutcome['status'], AgentStatus>> & { succeeded: AgentStatus }) =>
    (outcome: RunOutcome, agent: Agent): void => {
      const resources = mergeOutputs(agent, outcome.outputs);
      const status = statuses[outcome.status] ?? 'broken';
      const url = typeof resources.url === 'string' ? resources.url : agent.url;
      store.agents.update(agent.id, { status, resources, url: status === 'destroyed' ? agent.url : url });
    };

  const successLines: JobCopy['onSuccess'] = (agent) => [
    ['URL: ', link(agent.url ?? '(none)', agent.url ?? '')],
    ['Next: ', code(`/status ${agent.name}`), ' · ', code(`/logs ${agent.name}`)],
  ];

  return {
    roles: (): Role[] => [...roles.values()],
    list: (opts: { includeGone?: boolean } = {}): Agent[] => store.agents.list(opts),
    find,
    assertIdle: jobs.assertIdle,

    deploy(req: Origin & { role: string; name: string; provider?: string }): Job {
      const role = roleOf(req.role);
      const provider = providerOf(req.provider ?? deps.defaultProvider);
      const secrets: Record<string, string> = {};
      for (const secret of role.agent.secrets) {
        const value = deps.agentEnv(secret.name);
        if (value) secrets[secret.name] = value;
        else if (secret.required) {
          throw new UserError(
            `Role ${role.name} needs ${secret.name}, which is not set. Add it to fleetbot's environment (.env) and restart fleetbot.`,
          );
        }
      }
      const existing = store.agents.live(req.name);
      if (existing) {
        const busy = store.jobs.activeForAgent(existing.id);
        throw new UserError(
          busy
            ? `${req.name} is already being deployed by job #${busy.id} (${busy.status}). Follow its card, or /cancel ${busy.id}.`
            : `An agent named ${req.name} already exists (${existing.status}). Pick another name, or /destroy ${req.name} first.`,
        );
      }
      const agent = store.agents.create({
        name: req.name,
        role: role.name,
        provider: provider.name,
        owner: req.requester,
      });
      try {
        return jobs.submit({
          kind: 'deploy',
          agent,
          requester: req.requester,
          chat: req.chat,
          plan: provider.deployPlan({ agent, role, secrets }),
          copy: {
            title: `Deploy ${agent.name} (${role.name}, ${provider.name})`,
            onSuccess: successLines,
            retryHint: `Fix the cause and run /deploy ${role.name} ${agent.name} again.`,
          },
          settle: settleTo({ succeeded: 'running', rolled_back: 'failed', cancelled: 'failed' }),
        });
      } catch (err) {
        store.agents.update(agent.id, { status: 'failed' });
        throw err;
      }
    },

    restart(req: Origin & { agent: Agent }): Job {
      const { agent } = req;
      return jobs.submit({
        kind: 'restart',
        agent,
        requester: req.requester,
        chat: req.chat,
        plan: providerOf(agent.provider).restartPlan(agent, roles.get(agent.role)),
        copy: {
          title: `Restart ${agent.name}`,
          onSuccess: successLines,
          retryHint: `See /logs ${agent.name}, then /restart ${agent.name} again.`,
        },
        settle: settleTo({ succeeded: 'running', rolled_back: 'stopped', cancelled: 'stopped' }),
      });
    },

    destroy(req: Origin & { agent: Agent }): Job {
      const { agent } = req;
      const job = jobs.submit({
        kind: 'destroy',
        agent,
        requester: req.requester,
        chat: req.chat,
        plan: providerOf(agent.provider).destroyPlan(agent),
        copy: {
          title: `Destroy ${agent.name}`,
          onSuccess: (a) => [[`${a.name} is gone; its name is free again.`]],
          retryHint: `Run /destroy ${agent.name} again.`,
        },
        settle: settleTo({ succeeded: 'destroyed' }),
      });
      store.agents.update(agent.id, { status: 'destroying' });
      return job;
    },

    /** What a destroy of this agent would do, step by step, for the confirmation card. */
    destroyPreview: (agent: Agent): string[] =>
      providerOf(agent.provider)
        .destroyPlan(agent)
        .map((s) => s.title.toLowerCase()),

    async status(agent: Agent): Promise<AgentHealth> {
      if (agent.status !== 'running' && agent.status !== 'stopped') {
        return { state: 'stopped', detail: `agent is ${agent.status}` };
      }
      return providerOf(agent.provider).status(agent);
    },

    logs: (agent: Agent, lines: number): Promise<string[]> => providerOf(agent.provider).logs(agent, lines),

    /**
     * At start: jobs a previous process left unfinished are marked interrupted (their agents need a
     * person's decision), and agents recorded as running are checked against what really runs.
     */
    async recover(): Promise<{ interrupted: Job[]; adopted: string[]; missing: string[] }> {
      const interrupted = store.transaction(() =>
        [...store.jobs.withStatus('running'), ...store.jobs.withStatus('queued')].map((job) => {
          store.jobs.finish(job.id, 'interrupted', 'fleetbot restarted while this job was unfinished');
          // What the job's steps had created is on record; keep it with the agent so /destroy finds it.
          const agent = store.agents.byId(job.agentId);
          const outputs = store.steps.forJob(job.id).flatMap((s) => (s.output ? [s.output] : []));
          store.agents.update(job.agentId, {
            status: 'broken',
            resources: Object.assign({}, agent?.resources, ...outputs) as Record<string, unknown>,
          });
          return job;
        }),
      );
      const adopted: string[] = [];
      const missing: string[] = [];
      for (const provider of providers.values()) {
        const agents = store.agents.list({ provider: provider.name }).filter((a) => a.status === 'running');
        for (const found of await provider.adopt(agents)) {
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
      return { interrupted, adopted, missing };
    },
  };
}
export type Fleet = ReturnType<typeof createFleet>;
