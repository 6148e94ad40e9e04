import { z } from 'zod';
import { sleep } from '../../core/runtime/clock.js';
import { UserError } from '../../core/runtime/errors.js';
import type { Step, StepContext } from '../../core/jobs/plan.js';
import type { MachineDeps } from '../machine/install.js';
import { renderUserData } from '../machine/layout.js';
import { generateHostKey } from '../ssh/hostKey.js';
import type { HetznerClient } from './client.js';

export type ServerDeps = {
  hetzner: HetznerClient;
  machine: MachineDeps;
  /** Public keys allowed to log in as root (fleetbot's own key). */
  loginKeys: string[];
  /** Names of SSH keys registered in the Hetzner project, added to every server. */
  sshKeyNames: string[];
  bootDeadlineMs: number;
};

export type ServerSpec = {
  name: string;
  location: string;
  /** Resolved when the step runs (an image build picks the smallest type then). */
  serverType: () => Promise<string>;
  labels: Record<string, string>;
  /** Resolved when the step runs (a snapshot may be found by label). */
  image: (signal: AbortSignal) => Promise<string>;
};

const serverOutput = z.object({ serverId: z.number().int() });
/** Recorded before the create is sent, so a restart that cut its answer off can find the server. */
const createSent = z.object({ serverName: z.string(), hostKey: z.string() });

/** Deletes a server by id and waits until it is gone; a server already gone is fine. */
export async function deleteServer(hetzner: HetznerClient, id: number, signal?: AbortSignal): Promise<void> {
  const action = await hetzner.deleteServer(id, signal);
  if (action) await hetzner.waitAction(action, signal);
}

/**
 * Creates the server with a freshly generated host key (handed over in user_data, pinned here) and
 * records its id before anything else can fail, then waits for it to report running.
 *
 * Safe to run again after a restart: the name and the public host key are recorded before the create
 * is sent, and a rerun first looks for a server of that name and labels, adopting it (with the host
 * key recorded for it) instead of creating a second one. An undo without a recorded id looks the
 * same way, so a server whose create answer never arrived is not left behind.
 */
export function serverSteps(deps: ServerDeps, spec: ServerSpec): Step[] {
  const find = (signal?: AbortSignal) => deps.hetzner.findServer(spec.name, spec.labels, signal);
  const create = async (ctx: StepContext) => {
    const earlier = createSent.safeParse(ctx.earlier);
    const found = earlier.success ? await find(ctx.signal) : undefined;
    if (found && earlier.success) return { server: found, hostKey: earlier.data.hostKey };
    const hostKey = generateHostKey(`fleetbot ${spec.name}`);
    ctx.record({ serverName: spec.name, hostKey: hostKey.publicKey });
    const server = await deps.hetzner.createServer(
      {
        name: spec.name,
        serverType: await spec.serverType(),
        location: spec.location,
        image: await spec.image(ctx.signal),
        labels: spec.labels,
        sshKeys: deps.sshKeyNames,
        userData: renderUserData({
          hostname: spec.name,
          hostKeyPrivate: hostKey.privateKey,
          hostKeyPublic: hostKey.publicKey,
          loginKeys: deps.loginKeys,
        }),
      },
      ctx.signal,
    );
    return { server, hostKey: hostKey.publicKey };
  };
  return [
    {
      key: 'server',
      rerunnable: true,
      title: 'Create server',
      run: async (ctx) => {
        const { server, hostKey } = await create(ctx);
        const ip = server.public_net.ipv4?.ip;
        ctx.record({ serverId: server.id, serverName: server.name });
        if (!ip) throw new UserError(`Server ${server.name} has no public IPv4 address; fleetbot needs one.`);
        return { serverId: server.id, serverName: server.name, ip, login: 'root', hostKey };
      },
      undo: async (_ctx, output) => {
        const recorded = serverOutput.safeParse(output);
        if (recorded.success) return deleteServer(deps.hetzner, recorded.data.serverId);
        // The create was sent, but its answer (and with it the id) never arrived.
        const unanswered = createSent.safeParse(output).success ? await find() : undefined;
        if (unanswered) await deleteServer(deps.hetzner, unanswered.id);
      },
    },
    {
      key: 'boot',
      rerunnable: true,
      title: 'Wait for server to run',
      needs: ['server'],
      timeoutMs: deps.bootDeadlineMs + 10_000,
      run: async (ctx) => {
        await waitRunning(deps, serverOutput.parse(ctx.outputs.server).serverId, ctx);
      },
    },
  ];
}

async function waitRunning(deps: ServerDeps, id: number, ctx: StepContext): Promise<void> {
  const { clock } = deps.machine;
  const deadline = clock.now() + deps.bootDeadlineMs;
  let status = 'unknown';
  // SSH answers 10–25 s after `running`, so detecting `running` up to four polls late costs no time,
  // and backing off keeps a 30 s boot to a handful of API requests instead of one a second.
  let waitMs = deps.machine.timings.pollMs;
  while (clock.now() < deadline) {
    const server = await deps.hetzner.getServer(id, ctx.signal);
    if (!server)
      throw new UserError(`Server ${id} disappeared while booting; it was deleted outside fleetbot.`);
    status = server.status;
    if (status === 'running') return;
    await sleep(clock, waitMs, ctx.signal);
    waitMs = Math.min(waitMs * 2, deps.machine.timings.pollMs * 4);
  }
  throw new UserError(
    `Server ${id} was still ${status} after ${Math.round(deps.bootDeadlineMs / 1000)} s. Check it in the Hetzner Console; try again later or in another --location.`,
  );
}
