import { client, PROTOCOL_VERSION, RequestError, type ClientConnection } from '@agentclientprotocol/sdk';
import type { RequestPermissionRequest, RequestPermissionResponse } from '@agentclientprotocol/sdk';
import type { Clock } from '../../core/runtime/clock.js';
import { errorMessage, UserError } from '../../core/runtime/errors.js';
import type { AgentChannels, AgentProcess } from '../../core/fleet/provider.js';
import { resolveArgv, type Role } from '../../core/fleet/roles.js';
import type { Agent } from '../../core/store/agents.js';
import { z } from 'zod';
import { quote } from '../limits.js';
import { permissionAnswer } from './permission.js';
import { acpStdio } from './stdio.js';

/** How long an agent has to answer `initialize`, and to open or continue a session. */
export const startLimitMs = 60_000;

/** What a turn in flight is told about the wire; the connection routes to whichever turn runs. */
export type TurnListener = {
  heard(): void;
  update(params: unknown): void;
  broken(reason: string): void;
  permission(params: RequestPermissionRequest, signal: AbortSignal): Promise<RequestPermissionResponse>;
};

const initializeAnswer = z.looseObject({
  agentCapabilities: z
    .looseObject({
      loadSession: z.boolean().nullish(),
      sessionCapabilities: z.looseObject({ resume: z.unknown().nullish() }).nullish(),
    })
    .nullish(),
});

export type AgentAbilities = { load: boolean; resume: boolean };

/** An ACP agent's process with the SDK's client connected to it, initialized. */
export type AcpConnection = {
  proc: AgentProcess;
  connection: ClientConnection;
  abilities: AgentAbilities;
  /** Routes the wire to a turn (or to nobody: updates between turns are a load's replayed history). */
  listen(turn: TurnListener | undefined): void;
  /** Why the connection broke, when it did: a bad line, the process's end, the closed stream. */
  whyEnded(err: unknown): Promise<string>;
  readonly alive: boolean;
  close(): void;
};

class TooSlow extends Error {}

/** `work`, or a TooSlow error saying what the agent did not do in time. */
export function within<T>(clock: Clock, ms: number, work: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(
      () => reject(new TooSlow(`it did not ${what} within ${Math.round(ms / 1000)} s`)),
      ms,
    );
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The process's end when it comes soon: a closed stream usually means the process is going. */
const endedSoon = (proc: AgentProcess, clock: Clock, ms = 2000): Promise<string | undefined> =>
  new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(undefined), ms);
    void proc.ended.then((why) => {
      clock.clearTimeout(timer);
      resolve(why);
    });
  });

/** Starts `chat.command` through the provider's channels and runs `initialize`. */
export async function connectAcp(req: {
  agent: Agent;
  role: Role;
  command: string[];
  channels: AgentChannels;
  clock: Clock;
}): Promise<AcpConnection> {
  const argv = resolveArgv(req.role, req.command);
  let proc: AgentProcess;
  try {
    proc = await req.channels.spawn(argv);
  } catch (err) {
    throw new UserError(
      `${req.agent.name}'s chat command (${quote(argv[0] ?? '', 80)}) did not start: ${quote(errorMessage(err))}. Check chat.command in the role file ${req.role.name}.`,
    );
  }
  let turn: TurnListener | undefined;
  let broken: string | undefined;
  let ended = false;
  void proc.ended.then(() => (ended = true));
  const stream = acpStdio(proc, {
    heard: () => turn?.heard(),
    update: (params) => turn?.update(params),
    broken: (reason) => {
      broken ??= reason;
      turn?.broken(reason);
      proc.kill();
    },
  });
  const connection = client({ name: 'fleetbot' })
    .onRequest('session/request_permission', ({ params, signal }) =>
      turn ? turn.permission(params, signal) : permissionAnswer(params, 'cancelled'),
    )
    .connect(stream);

  const whyEnded = async (err: unknown): Promise<string> => {
    if (broken) return broken;
    if (err instanceof RequestError) return `it answered with an error: ${quote(err.message)}`;
    if (err instanceof TooSlow) return err.message;
    const exit = await endedSoon(proc, req.clock);
    return exit ? `it ${exit}` : `the connection to it closed (${quote(errorMessage(err))})`;
  };

  const close = (): void => {
    connection.close();
    proc.kill();
  };

  let abilities: AgentAbilities;
  try {
    const answer = initializeAnswer.safeParse(
      await within(
        req.clock,
        startLimitMs,
        connection.agent.request('initialize', {
          protocolVersion: PROTOCOL_VERSION,
          clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
        }),
        'answer initialize',
      ),
    );
    if (!answer.success) throw new Error('its initialize answer is not ACP v1');
    const caps = answer.data.agentCapabilities;
    abilities = { load: caps?.loadSession === true, resume: caps?.sessionCapabilities?.resume != null };
  } catch (err) {
    const why = await whyEnded(err);
    close();
    throw startFailure(req.agent, why, proc.stderrTail());
  }

  return {
    proc,
    connection,
    abilities,
    listen: (next) => (turn = next),
    whyEnded,
    get alive() {
      return !ended && !broken && !connection.signal.aborted;
    },
    close,
  };
}

/** What a person reads when an agent's chat side would not start or open a session. */
export const startFailure = (agent: Agent, why: string, stderr: string): UserError =>
  new UserError(
    `${agent.name}'s chat did not start: ${why}.${stderr.trim() ? ` Its last output: ${quote(stderr, 500)}` : ''} Try again; if it keeps failing, check /logs ${agent.name} and the role's chat.command.`,
  );
