import type { Clock } from '../runtime/clock.js';
import { UserError } from '../runtime/errors.js';
import type { JobWording } from '../jobs/card.js';
import type { StepOutput } from '../jobs/plan.js';
import { rollbackReason } from '../jobs/restart.js';
import type { RunOutcome } from '../jobs/runner.js';
import { pausedForRestart } from '../jobs/paused.js';
import type { JobRequest, JobService } from '../jobs/service.js';
import type { Logger } from '../runtime/logging.js';
import { code, link } from '../chat/outbound.js';
import type { AgentHealth, DeployOptions, Provider } from './provider.js';
import type { Role } from './roles.js';
import type { Agent, AgentStatus } from '../store/agents.js';
import type { Store } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import type { ChatRef } from '../chat/types.js';

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

  const imageProviders = (): string[] => [...providers.values()].filter((p) => p.images).map((p) => p.name);

  const imageProvider = (name?: string) => {
    const provider = name
      ? providerOf(name)
      : ([...providers.values()].find((p) => p.images) ?? providerOf(deps.defaultProvider));
    if (!provider.images)
      throw new UserError(
        `Provider ${provider.name} does not use images; golden images are for ${imageProviders().join(', ') || 'providers that boot machines from them'}.`,
      );
    return { provider, images: provider.images };
  };

  /** A job that cannot be taken up: marked interrupted, its agent broken, what it made kept on record. */
  const strand = (job: Job): void =>
    store.transaction(() => {
      store.jobs.finish(job.id, 'interrupted', 'fleetbot restarted while this job was unfinished');
      const agent = job.agentId === null ? undefined : store.agents.byId(job.agentId);
      if (!agent) return;
      const outputs = store.steps.forJob(job.id).flatMap((s) => (s.output ? [s.output] : []));
      store.agents.update(agent.id, {
        status: 'broken',
        resources: Object.assign({}, agent.resources, ...outputs) as Record<string, unknown>,
      });
    });

  const find = (name: string): Agent => {
    const agent = store.agents.live(name);
    if (!agent) throw new UserError(`There is no agent named ${name}. /list shows the agents.`);
    return agent;
  };

  /** A settle function that moves the agent to the status for each outcome and keeps what was created. */
  const settleTo =
    (
      agentId: number,
      statuses: Partial<Record<RunOutcome['status'], AgentStatus>> & { succeeded: AgentStatus },
    ) =>
    (outcome: RunOutcome): void => {
      const agent = store.agents.byId(agentId);
      if (!agent) return;
      const resources = mergeOutputs(agent, outcome.outputs);
      const status = statuses[outcome.status] ?? 'broken';
      const url = typeof resources.url === 'string' ? resources.url : agent.url;
      store.agents.update(agent.id, { status, resources, url: status === 'destroyed' ? agent.url : url });
    };

  /** What to do about whatever a job on this agent may have left behind. */
  const cleanupHint = (name: string): JobWording['cleanupHint'] => [
    'Check ',
    code(`/status ${name}`),
    '; ',
    code(`/destroy ${name}`),
    ' removes whatever it created.',
  ];

  const wordingFor = (agent: Agent, title: string, retryHint: string): JobWording => ({
    title,
    retryHint,
    cleanupHint: cleanupHint(agent.name),
    onSuccess: () => {
      const now = store.agents.byId(agent.id) ?? agent;
      if (now.status === 'destroyed') return [[`${now.name} is gone; its name is free again.`]];
      return [
        ['URL: ', link(now.url ?? '(none)', now.url ?? '')],
        ['Next: ', code(`/status ${now.name}`), ' · ', code(`/logs ${now.name}`)],
      ];
    },
  });

  const deployRequest = (
    agent: Agent,
    role: Role,
    provider: Provider,
    secrets: Record<string, string>,
    options: DeployOptions,
    origin: Origin,
  ): JobRequest => ({
    kind: 'deploy',
    subject: agent.name,
    agent,
    params: { options },
    requester: origin.requester,
    chat: origin.chat,
    plan: provider.deployPlan({
      agent,
      role,
      secrets,
      options,
      neighbours: store.agents.list({ provider: provider.name }).filter((a) => a.id !== agent.id),
    }),
    wording: wordingFor(
      agent,
      `Deploy ${agent.name} (${role.name}, ${provider.name})`,
      `Fix the cause and run /deploy ${role.name} ${agent.name} again.`,
    ),
    settle: settleTo(agent.id, { succeeded: 'running', rolled_back: 'failed', cancelled: 'failed' }),
  });

  const restartRequest = (agent: Agent, origin: Origin): JobRequest => ({
    kind: 'restart',
    subject: agent.name,
    agent,
    requester: origin.requester,
    chat: origin.chat,
    plan: providerOf(agent.provider).restartPlan(agent, roles.get(agent.role)),
    wording: wordingFor(
      agent,
      `Restart ${agent.name}`,
      `See /logs ${agent.name}, then /restart ${agent.name} again.`,
    ),
    settle: settleTo(agent.id, { succeeded: 'running', rolled_back: 'stopped', cancelled: 'stopped' }),
  });

  const destroyRequest = (agent: Agent, origin: Origin): JobRequest => ({
    kind: 'destroy',
    subject: agent.name,
    agent,
    requester: origin.requester,
    chat: origin.chat,
    plan: providerOf(agent.provider).destroyPlan(agent),
    wording: wordingFor(agent, `Destroy ${agent.name}`, `Run /destroy ${agent.name} again.`),
    settle: settleTo(agent.id, { succeeded: 'destroyed' }),
  });

  /** The secrets a role's agents get, read from fleetbot's environment; a missing required one is refused. */
  const secretsFor = (role: Role): Record<string, string> => {
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
    return secrets;
  };

  /** How a job that cannot be rebuilt presents itself on its card. */
  const plainWording = (job: Job): JobWording => ({
    title: `${job.kind} ${job.subject}`,
    retryHint: '',
    cleanupHint: job.agentId === null ? ['Run the command again when ready.'] : cleanupHint(job.subject),
  });

  /** The same request a job was submitted with, rebuilt from the store after a restart. */
  const rebuild = (job: Job): JobRequest => {
    const agent = job.agentId === null ? undefined : store.agents.byId(job.agentId);
    if (!agent) throw new Error(`job #${job.id} has no agent to take up`);
    const origin = { requester: job.requester, chat: job.chat };
    switch (job.kind) {
      case 'deploy': {
        const role = roleOf(agent.role);
        const options = (job.params.options ?? {}) as DeployOptions;
        return deployRequest(agent, role, providerOf(agent.provider), secretsFor(role), options, origin);
      }
      case 'restart':
        return restartRequest(agent, origin);
      case 'destroy':
        return destroyRequest(agent, origin);
      default:
        throw new Error(`a ${job.kind} job cannot be taken up again`);
    }
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
      const secrets = secretsFor(role);
      const refuseTaken = (): void => {
        const existing = store.agents.live(req.name);
        if (!existing) return;
        const busy = store.jobs.activeFor(existing.name);
        throw new UserError(
          busy
            ? `${req.name} is already being deployed by job #${busy.id} (${busy.status}). Follow its card, or /cancel ${busy.id}.`
            : `An agent named ${req.name} already exists (${existing.status}). Pick another name, or /destroy ${req.name} first.`,
        );
      };
      refuseTaken();
      const options = req.options ?? {};
      await provider.prepare?.({ role, options });
      // Checked again: the name may have been taken while the provider looked things up.
      refuseTaken();
      const agent = store.agents.create({
        name: req.name,
        role: role.name,
        provider: provider.name,
        owner: req.requester,
      });
      try {
        return jobs.submit(deployRequest(agent, role, provider, secrets, options, req));
      } catch (err) {
        store.agents.update(agent.id, { status: 'failed' });
        throw err;
      }
    },

    restart: (req: Origin & { agent: Agent }): Job => jobs.submit(restartRequest(req.agent, req)),

    destroy(req: Origin & { agent: Agent }): Job {
      const job = jobs.submit(destroyRequest(req.agent, req));
      store.agents.update(req.agent.id, { status: 'destroying' });
      return job;
    },

    /** Builds a role's golden image as a job of its own (no agent), on the provider that boots from images. */
    buildImage(req: Origin & { role: string; provider?: string }): Job {
      const role = roleOf(req.role);
      const { provider, images } = imageProvider(req.provider);
      return jobs.submit({
        kind: 'image',
        subject: `image ${role.name}`,
        requester: req.requester,
        chat: req.chat,
        plan: images.buildPlan(role),
        wording: {
          title: `Build image for ${role.name} (${provider.name})`,
          retryHint: `Fix the cause and run /image build ${role.name} again.`,
          cleanupHint: ['Check the provider’s console for a leftover build server or snapshot.'],
          onSuccess: () => [
            ['New deploys of ', code(role.name), ' boot from this image. ', code('/image list')],
          ],
        },
        settle: () => undefined,
      });
    },

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
      return providerOf(agent.provider).status(agent);
    },

    /** The URL the monitor checks for this agent, if it has one yet. */
    healthUrl(agent: Agent): string | undefined {
      const provider = providers.get(agent.provider);
      if (provider?.healthUrl) return provider.healthUrl(agent);
      return agent.url ? `${agent.url}/health` : undefined;
    },

    logs: (agent: Agent, lines: number): Promise<string[]> => providerOf(agent.provider).logs(agent, lines),

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

    /** How a job's card presents it when drawn again after a restart: as submitted, where that can be rebuilt. */
    cardWording(job: Job): JobWording {
      try {
        return rebuild(job).wording;
      } catch {
        return plainWording(job);
      }
    },

    /**
     * At start, once the bridges run: every job a previous process left unfinished (killed, or paused
     * for a restart) is taken up on its own card. It carries on after its last finished step when
     * every remaining step is safe to repeat, and is rolled back otherwise (or when it was already
     * rolling back). A job that cannot be rebuilt (its role or provider is gone) is marked
     * interrupted and returned, its agent broken.
     */
    resumeUnfinished(): { resumed: Job[]; rolledBack: Job[]; stranded: Job[] } {
      const unfinished = [
        ...store.jobs.withStatus('running'),
        ...store.jobs.withStatus('queued'),
        ...store.jobs.withStatus('interrupted').filter((j) => j.error === pausedForRestart),
      ];
      const result = { resumed: [] as Job[], rolledBack: [] as Job[], stranded: [] as Job[] };
      for (const job of unfinished) {
        let request: JobRequest;
        try {
          request = rebuild(job);
        } catch (err) {
          deps.log.warn({ err, jobId: job.id }, 'cannot take up an unfinished job');
          strand(job);
          result.stranded.push(job);
          continue;
        }
        const rollback = rollbackReason(request.plan, store.steps.forJob(job.id));
        request.wording.note = rollback
          ? '↩ Rolled back after a restart of fleetbot'
          : '↻ Resumed after a restart of fleetbot';
        jobs.resume(job, request, rollback);
        (rollback ? result.rolledBack : result.resumed).push(job);
      }
      return result;
    },
  };
}
export type Fleet = ReturnType<typeof createFleet>;
