import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunOutcome } from '../jobs/runner.js';
import type { Store } from '../store/index.js';
import { healthStates } from '../store/health.js';
import type { Job } from '../store/jobs.js';
import { fleetbotVersion } from './version.js';

export type ApiOutcome = 'ok' | 'error' | 'rate_limited';

type Sources = { store: Store; queueDepth: () => number };

/**
 * Everything fleetbot counts, in one Prometheus registry served at /metrics. It exists before the
 * store and bridges (they report into it); the gauges read their sources once attach() names them.
 */
export function createMetrics() {
  const registry = new Registry();
  // Unprefixed, under the names the Node.js and process dashboards look for (process_cpu_seconds_total,
  // nodejs_heap_size_total_bytes); fleetbot's own metrics carry fleetbot_.
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'fleetbot_build_info',
    help: 'Always 1; the labels say which fleetbot and which Node.js run',
    labelNames: ['version', 'node'],
    registers: [registry],
  }).set({ version: fleetbotVersion, node: process.versions.node }, 1);
  let sources: Sources | undefined;

  const jobs = new Counter({
    name: 'fleetbot_jobs_total',
    help: 'Jobs finished, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const jobSeconds = new Histogram({
    name: 'fleetbot_job_duration_seconds',
    help: 'How long jobs ran, by kind',
    labelNames: ['kind'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const stepSeconds = new Histogram({
    name: 'fleetbot_step_duration_seconds',
    help: 'How long job steps ran, by step',
    labelNames: ['step'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  new Gauge({
    name: 'fleetbot_queue_depth',
    help: 'Jobs queued or running',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.queueDepth());
    },
  });
  new Gauge({
    name: 'fleetbot_agents',
    help: 'Running agents by last health state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!sources) return;
      const { store } = sources;
      const health = store.health.all();
      const counts = Object.fromEntries(healthStates.map((s) => [s, 0])) as Record<string, number>;
      for (const agent of store.agents.list().filter((a) => a.status === 'running')) {
        counts[health.get(agent.id)?.state ?? 'unknown']! += 1;
      }
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'fleetbot_agent_up',
    help: "1 when the agent's last health check found it healthy, else 0; one series per live agent",
    labelNames: ['agent', 'role', 'provider'],
    registers: [registry],
    collect() {
      if (!sources) return;
      const { store } = sources;
      const health = store.health.all();
      // Rebuilt on every scrape, so a destroyed agent's series is gone rather than stuck at its last value.
      this.reset();
      for (const agent of store.agents.list()) {
        const up = health.get(agent.id)?.state === 'healthy' ? 1 : 0;
        this.set({ agent: agent.name, role: agent.role, provider: agent.provider }, up);
      }
    },
  });
  new Gauge({
    name: 'fleetbot_incidents_open',
    help: 'Outages (incidents) not yet resolved',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.store.incidents.openCount());
    },
  });
  const chatCalls = new Counter({
    name: 'fleetbot_chat_api_calls_total',
    help: 'Calls to chat platform APIs, by platform, method and outcome (rate_limited = 429)',
    labelNames: ['platform', 'method', 'outcome'],
    registers: [registry],
  });
  const cloudCalls = new Counter({
    name: 'fleetbot_cloud_api_calls_total',
    help: 'Calls to cloud APIs, by provider, method and outcome',
    labelNames: ['provider', 'method', 'outcome'],
    registers: [registry],
  });
  const cloudBudget = new Gauge({
    name: 'fleetbot_cloud_rate_budget_remaining',
    help: 'Requests left in the cloud API rate-limit window, as last reported',
    labelNames: ['provider'],
    registers: [registry],
  });

  return {
    registry,
    attach(s: Sources): void {
      sources = s;
    },
    jobFinished(job: Job, outcome: RunOutcome): void {
      if (!sources) return;
      const { store } = sources;
      jobs.inc({ kind: job.kind, outcome: outcome.status });
      if (job.startedAt !== null && job.finishedAt !== null)
        jobSeconds.observe({ kind: job.kind }, (job.finishedAt - job.startedAt) / 1000);
      for (const step of store.steps.forJob(job.id)) {
        if (step.startedAt !== null && step.finishedAt !== null)
          stepSeconds.observe({ step: step.key }, (step.finishedAt - step.startedAt) / 1000);
      }
    },
    chatCall: (platform: string, method: string, outcome: ApiOutcome): void =>
      void chatCalls.inc({ platform, method, outcome }),
    cloudCall: (provider: string, method: string, outcome: ApiOutcome): void =>
      void cloudCalls.inc({ provider, method, outcome }),
    cloudBudget: (provider: string, remaining: number): void => void cloudBudget.set({ provider }, remaining),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
