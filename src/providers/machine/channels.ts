import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AgentChannels } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import { UserError } from '../../core/runtime/errors.js';
import { holdMachine, type MachineDeps, type MachineRef } from './install.js';
import { unitWalls, type AgentLayout } from './layout.js';
import { remote } from './remote.js';

/** How long the machine may take to open a channel (a process, a tunnel) on a kept connection. */
const openTimeoutMs = 15_000;
const portSchema = z.number().int().min(1).max(65_535);
/** How long stopping a conversation's process may take. */
const stopTimeoutMs = 15_000;

/**
 * How conversations reach an agent on a machine, over the pooled SSH connection: its chat command as
 * its own Unix user in its folder, with its env and secrets and its own HOME (`remote.conversation`),
 * and its port on the machine's loopback through a forwarded channel, never its public URL.
 */
export function machineChannels(
  deps: MachineDeps,
  m: MachineRef,
  layout: AgentLayout,
  role: Role,
): AgentChannels {
  // The role's files were uploaded into the app folder at deploy under their own names.
  const uploaded = new Map(Object.entries(layout.files).map(([name, local]) => [local, name]));
  const onMachine = (argv: string[]): string[] =>
    argv.map((arg) => (uploaded.has(arg) ? `${layout.appDir}/${uploaded.get(arg)}` : arg));

  return {
    spawn: (argv) =>
      holdMachine(deps, m, async (ssh) => {
        const id = randomBytes(8).toString('hex');
        const command = remote.conversation(layout, m.login, {
          id,
          walls: unitWalls(layout, role.name),
          argv: onMachine(argv),
        });
        const child = await ssh.stream(command, { timeoutMs: openTimeoutMs });
        let stopped: Promise<unknown> = Promise.resolve();
        return {
          value: {
            ...child,
            cwd: layout.appDir,
            kill() {
              child.kill();
              // A signal reaches only the process sshd started: its unit or namespace ends the rest.
              stopped = ssh
                .exec(remote.stopConversation(m.login, id), { timeoutMs: stopTimeoutMs })
                .catch(() => undefined);
            },
          },
          released: child.ended.then(() => stopped),
        };
      }),

    // The role's port is where the agent listens unless its host gave it another (a shared ssh host).
    connect: (port) => {
      const target = portSchema.parse(layout.daemon && port === role.agent.port ? layout.daemon.port : port);
      return holdMachine(deps, m, async (ssh) => {
        const stream = await ssh.forward(target, { timeoutMs: openTimeoutMs }).catch((err: Error) => {
          throw new UserError(
            `Nothing answered on ${layout.name}'s port ${target} on its machine (${err.message}); is it running?`,
          );
        });
        return { value: stream, released: new Promise((resolve) => stream.once('close', resolve)) };
      });
    },
  };
}
