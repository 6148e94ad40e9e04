import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Plan } from '../../src/core/jobs/plan.js';
import type { Provider } from '../../src/core/fleet/provider.js';
import { loadRoles, type Role } from '../../src/core/fleet/roles.js';
import type { Agent } from '../../src/core/store/agents.js';
import { openStore, type Store } from '../../src/core/store/index.js';
import { createLocalProvider, type Isolation } from '../../src/providers/local/index.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { silentLog } from './env.js';
import { runPlanAsJob } from './planJob.js';

/**
 * A local provider over one store and data folder, with its jobs run the way the job service runs
 * them (steps on record, outputs merged into the agent's resources).
 */
export function localFleet(opts: {
  dataDir: string;
  isolation: Isolation;
  hidden?: string[];
  rolesDir?: string;
}): {
  provider: Provider;
  store: Store;
  roles: Map<string, Role>;
  deploy(
    name: string,
    role: string,
    secrets?: Record<string, string>,
  ): Promise<{ agent: Agent; error?: string; status: string }>;
  destroy(agent: Agent): Promise<{ error?: string; status: string }>;
  close(): void;
} {
  const store = openStore(':memory:', systemClock);
  const roles = loadRoles(opts.rolesDir ?? 'templates/roles', roleSections, chatSections);
  const provider = createLocalProvider({
    dataDir: opts.dataDir,
    clock: systemClock,
    log: silentLog,
    isolation: opts.isolation,
    hidden: opts.hidden ?? [opts.dataDir],
    healthDeadlineMs: 10_000,
    stopGraceMs: 2_000,
    pollIntervalMs: 50,
  });

  const run = async (agent: Agent, kind: string, plan: Plan) => {
    const { outcome, resources } = await runPlanAsJob(store, agent, kind, plan);
    store.agents.update(agent.id, { resources });
    return { ...outcome, agent: store.agents.byId(agent.id)! };
  };

  return {
    provider,
    store,
    roles,
    async deploy(name, roleName, secrets = {}) {
      const role = roles.get(roleName)!;
      const agent = store.agents.create({ name, role: roleName, provider: 'local', owner: 'console:local' });
      return run(agent, 'deploy', provider.deployPlan({ agent, role, secrets, options: {}, neighbours: [] }));
    },
    destroy: (agent) => run(agent, 'destroy', provider.destroyPlan(agent)),
    close: () => store.close(),
  };
}

/** The hostile agent of the security suite: tries the attacks its environment names, reports on /report. */
export const hostileAgentScript = path.resolve('test/security/agents/hostile.mjs');

/** Writes a role file (JSON is YAML) whose agent runs `node <script>` with the given environment. */
export function writeRole(
  rolesDir: string,
  role: { name: string; script: string; env?: Record<string, string>; secrets?: string[] },
): void {
  const body = {
    name: role.name,
    description: `test role ${role.name}`,
    agent: {
      command: ['node', role.script],
      port: 3100,
      healthPath: '/health',
      env: role.env ?? {},
      secrets: (role.secrets ?? []).map((name) => ({ name, required: false })),
    },
  };
  writeFileSync(path.join(rolesDir, `${role.name}.yaml`), JSON.stringify(body, null, 2));
}

/** Pids of live processes whose command line contains `token` (a hostile agent's leftover children). */
export function processesWith(token: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const state = readFileSync(`/proc/${p}/stat`, 'utf8');
        return cmdline.includes(token) && !/\) Z /.test(state);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A live process of an agent folder (its marker in the environment), as a deploy starts one. */
export function agentFolderProcess(dir: string, script = 'setInterval(() => {}, 60_000)'): ChildProcess {
  return spawn(process.execPath, ['-e', script], { env: { FLEETBOT_AGENT_DIR: dir }, stdio: 'ignore' });
}

/**
 * The local provider's record of an agent whose daemon runs as `pid` in `dir` and answers at `url`;
 * with no port on record, whoever answers there counts (the fake agent of a test runs in the test).
 */
export const localResources = (dir: string, pid: number, url: string): Record<string, unknown> => ({
  dir,
  logFile: path.join(dir, 'agent.log'),
  command: ['node'],
  healthPath: '/health',
  env: {},
  pid,
  url,
});

/**
 * An agent row the local provider can health-check: a live process carrying the agent folder's
 * marker, as a deploy starts, and a fake agent's URL for its health.
 */
export function seedLocalAgent(store: Store, name: string, url: string, defer: (fn: () => void) => void) {
  const dir = mkdtempSync(path.join(tmpdir(), `agent-${name}-`));
  writeFileSync(path.join(dir, 'agent.log'), `started\n<b>not bold</b> & "quoted"\nGET /health 200\n`);
  const daemon = agentFolderProcess(dir);
  defer(() => daemon.kill('SIGKILL'));
  const agent = store.agents.create({ name, role: 'swe', provider: 'local', owner: 'telegram:1001' });
  store.agents.update(agent.id, { status: 'running', url, resources: localResources(dir, daemon.pid!, url) });
  return agent;
}
