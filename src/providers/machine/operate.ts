import { UserError } from '../../core/runtime/errors.js';
import type { Plan } from '../../core/jobs/plan.js';
import type { Role } from '../../core/fleet/roles.js';
import type { Agent } from '../../core/store/agents.js';
import { healthStep, run, withMachine, type MachineDeps, type MachineRef } from './install.js';
import { agentLayout, unitName, type AgentLayout } from './layout.js';
import { journalLines } from './journal.js';
import { remote } from './remote.js';

// Day-two operations on an agent installed over SSH, whoever made its machine.

/** Where a stored agent lives on its machine, which needs its role's command. */
export function layoutFor(agent: Agent, role: Role | undefined): AgentLayout {
  if (!role)
    throw new UserError(`Role ${agent.role} of ${agent.name} no longer exists; restore its role file first.`);
  return agentLayout(agent.name, role);
}

/** Restarts the agent's unit, then waits for its local health again. */
export const restartSteps = (deps: MachineDeps, layout: AgentLayout, m: MachineRef): Plan => [
  {
    key: 'restart',
    rerunnable: true,
    title: 'Restart agent service',
    run: async (ctx) => {
      await withMachine(
        deps,
        m,
        (ssh) => run(deps, ssh, remote.restartUnit(layout, m.login), 'Restarting'),
        ctx.signal,
      );
    },
  },
  healthStep(deps, layout, () => m),
];

/** The agent's last journal lines. */
export async function machineLogs(
  deps: MachineDeps,
  m: MachineRef,
  agentName: string,
  lines: number,
): Promise<string[]> {
  const unit = unitName(agentName);
  const out = await withMachine(deps, m, (ssh) =>
    run(deps, ssh, remote.journal(unit, m.login, lines), 'Reading the journal'),
  );
  return journalLines(out, unit, agentName);
}
