import { errorMessage, UserError } from '../../core/runtime/errors.js';
import type { Plan } from '../../core/jobs/plan.js';
import type { AgentHealth } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import type { Agent } from '../../core/store/agents.js';
import { healthStep, run, withMachine, type MachineDeps, type MachineRef } from './install.js';
import { agentLayout, hasDaemon, unitName, type AgentLayout } from './layout.js';
import { journalLines } from './journal.js';
import { remote } from './remote.js';

// Day-two operations on an agent installed over SSH, whoever made its machine.

/** Where a stored agent lives on its machine, which needs its role's command. */
export function layoutFor(agent: Agent, role: Role | undefined): AgentLayout {
  if (!role)
    throw new UserError(`Role ${agent.role} of ${agent.name} no longer exists; restore its role file first.`);
  return agentLayout(agent.name, role);
}

/**
 * Restarts the agent's unit, then waits for its local health again. An agent without a daemon has
 * nothing to restart: its conversations' processes are ended, and the next prompt starts a fresh one.
 */
export const restartSteps = (deps: MachineDeps, layout: AgentLayout, m: MachineRef): Plan =>
  hasDaemon(layout)
    ? [
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
      ]
    : [
        {
          key: 'conversations',
          rerunnable: true,
          title: 'Stop its conversation processes (it has no service; it runs when spoken to)',
          run: async (ctx) => {
            await withMachine(
              deps,
              m,
              (ssh) =>
                run(deps, ssh, remote.stopConversations(layout, m.login), 'Stopping its conversations'),
              ctx.signal,
            );
          },
        },
      ];

/**
 * The health of an agent without a daemon, as far as its machine can tell: its user and folder are
 * there. Whether its chat command starts and answers is for its protocol to say, not the machine's.
 */
export async function presence(deps: MachineDeps, m: MachineRef, layout: AgentLayout): Promise<AgentHealth> {
  try {
    return await withMachine(deps, m, async (ssh) => {
      const exits0 = async (command: string) =>
        (await ssh.exec(command, { timeoutMs: deps.timings.commandTimeoutMs })).code === 0;
      if (!(await exits0(remote.hasUser(layout))))
        return { state: 'unhealthy', detail: `its Unix user ${layout.user} is gone from the machine` };
      if (!(await exits0(remote.hasFolder(layout))))
        return { state: 'unhealthy', detail: `its folder ${layout.appDir} is gone from the machine` };
      return { state: 'healthy', detail: 'no daemon; it runs when spoken to' };
    });
  } catch (err) {
    return { state: 'unhealthy', detail: `cannot reach its machine: ${errorMessage(err)}` };
  }
}

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
