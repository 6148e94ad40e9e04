import type { RequestPermissionResponse } from '@agentclientprotocol/sdk';
import { z } from 'zod';
import type {
  AgentSession,
  PermissionChoice,
  SessionStart,
  TurnEnd,
  TurnEvents,
} from '../../core/conversations/protocol.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';
import type { Agent } from '../../core/store/agents.js';
import { floodEnd, maxAnswerChars, silenceEnd } from '../limits.js';
import { startFailure, startLimitMs, within, type AcpConnection } from './connection.js';
import { permissionAnswer, permissionRequest } from './permission.js';
import { readUpdate } from './updates.js';

/** After `session/cancel`, how long the agent has to end the turn before fleetbot stops its process. */
export const cancelGraceMs = 10_000;

/** Skipped updates reported (and logged) per turn: an agent sending nothing else must not flood the log. */
const maxSkipsReported = 20;

const newSessionAnswer = z.looseObject({ sessionId: z.string().min(1) });
const promptAnswer = z.looseObject({ stopReason: z.string() });

/** ACP's stop reasons as a turn's end; a turn-request limit is a limit like the token one. */
const stops: Record<string, Exclude<TurnEnd['stop'], 'failed'>> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  max_turn_requests: 'max_tokens',
  refusal: 'refusal',
  cancelled: 'cancelled',
};

/**
 * Continues `previous` where the agent can (`session/load`, then `session/resume`), else opens a
 * new session and says why the earlier one could not be continued.
 */
async function startSession(
  acp: AcpConnection,
  cwd: string,
  previous: string | undefined,
  clock: Clock,
): Promise<{ sessionId: string; start: SessionStart }> {
  const { agent } = acp.connection;
  let why = 'the agent can neither load nor resume a session';
  if (previous) {
    const request = { sessionId: previous, cwd, mcpServers: [] };
    const attempts = [
      ...(acp.abilities.load
        ? [{ kind: 'loaded' as const, run: () => agent.request('session/load', request) }]
        : []),
      ...(acp.abilities.resume
        ? [{ kind: 'resumed' as const, run: () => agent.request('session/resume', request) }]
        : []),
    ];
    for (const attempt of attempts) {
      try {
        await within(clock, startLimitMs, attempt.run(), `continue the conversation`);
        return { sessionId: previous, start: { kind: attempt.kind } };
      } catch (err) {
        if (!acp.alive) throw err;
        why = `the agent could not continue it (${await acp.whyEnded(err)})`;
      }
    }
  }
  const created = newSessionAnswer.parse(
    await within(
      clock,
      startLimitMs,
      agent.request('session/new', { cwd, mcpServers: [] }),
      'open a session',
    ),
  );
  return { sessionId: created.sessionId, start: previous ? { kind: 'restarted', why } : { kind: 'new' } };
}

/** One conversation on one ACP process: a turn at a time, routed from the connection's wire. */
export async function acpSession(
  acp: AcpConnection,
  opts: { agent: Agent; previousSessionId?: string; silenceMs: number; clock: Clock; log: Logger },
): Promise<AgentSession> {
  const { clock, log, agent, silenceMs } = opts;
  const { proc, connection } = acp;
  let started: { sessionId: string; start: SessionStart };
  try {
    started = await startSession(acp, proc.cwd, opts.previousSessionId, clock);
  } catch (err) {
    const why = await acp.whyEnded(err);
    acp.close();
    throw startFailure(agent, why, proc.stderrTail());
  }
  const { sessionId } = started;
  const titles = new Map<string, string>();
  let busy = false;

  const prompt = (text: string, events: TurnEvents, signal: AbortSignal): Promise<TurnEnd> => {
    if (!acp.alive)
      return Promise.resolve({
        stop: 'failed',
        reason: "the agent's process has ended; the next message starts it again",
        stderr: proc.stderrTail(),
      });
    if (busy) return Promise.resolve({ stop: 'failed', reason: 'a turn is already running' });
    if (signal.aborted) return Promise.resolve({ stop: 'cancelled' });
    busy = true;
    return new Promise<TurnEnd>((resolve) => {
      let chars = 0;
      let skips = 0;
      let peopleAsked = 0;
      let silenceTimer: unknown;
      let graceTimer: unknown;
      let done = false;
      const sent = new Set<string>();
      const cancelPermissions = new Set<() => void>();

      const end = (result: TurnEnd): void => {
        if (done) return;
        done = true;
        busy = false;
        acp.listen(undefined);
        clock.clearTimeout(silenceTimer);
        clock.clearTimeout(graceTimer);
        signal.removeEventListener('abort', onAbort);
        for (const cancel of cancelPermissions) cancel();
        resolve(result);
      };
      // A misbehaving agent (silent, flooding) is stopped: its next turn starts a fresh process.
      const endAndStop = (result: TurnEnd): void => {
        end(result);
        acp.close();
      };
      // The clock stops while a person decides on a permission request: that wait is not the agent's.
      const arm = (): void => {
        clock.clearTimeout(silenceTimer);
        if (done || peopleAsked > 0) return;
        silenceTimer = clock.setTimeout(
          () => endAndStop(silenceEnd(silenceMs, proc.stderrTail())),
          silenceMs,
        );
      };
      const report = (what: () => void): void => {
        try {
          what();
        } catch (err) {
          log.error({ err, agent: agent.name }, 'a turn event handler failed');
        }
      };

      const onAbort = (): void => {
        for (const cancel of cancelPermissions) cancel();
        void connection.agent.notify('session/cancel', { sessionId }).catch(() => undefined);
        graceTimer = clock.setTimeout(() => endAndStop({ stop: 'cancelled' }), cancelGraceMs);
      };
      signal.addEventListener('abort', onAbort, { once: true });

      acp.listen({
        heard: arm,
        broken: (reason) => end({ stop: 'failed', reason, stderr: proc.stderrTail() }),
        update(params) {
          const read = readUpdate(params, sessionId, titles);
          if (read.kind === 'text') {
            chars += read.delta.length;
            if (chars > maxAnswerChars) endAndStop(floodEnd());
            else report(() => events.text(read.delta));
          } else if (read.kind === 'step') {
            report(() => events.step(read.step));
            for (const file of read.files) {
              const key = `${file.name}\0${file.content}`;
              if (sent.has(key)) continue;
              sent.add(key);
              report(() => events.file(file));
            }
          } else if (read.kind === 'skipped' && ++skips <= maxSkipsReported) {
            log.warn({ agent: agent.name, what: read.what }, 'skipped an ACP update');
            report(() => events.skipped(read.what));
          }
        },
        async permission(params, requestSignal): Promise<RequestPermissionResponse> {
          peopleAsked++;
          arm();
          try {
            const choice = await new Promise<PermissionChoice | 'cancelled'>((answer) => {
              const cancel = (): void => answer('cancelled');
              cancelPermissions.add(cancel);
              requestSignal.addEventListener('abort', cancel, { once: true });
              if (signal.aborted) cancel();
              events.permission(permissionRequest(params)).then(answer, () => answer('reject'));
            });
            return permissionAnswer(params, choice);
          } finally {
            peopleAsked--;
            arm();
          }
        },
      });
      arm();

      connection.agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text }] }).then(
        (answer) => {
          const parsed = promptAnswer.safeParse(answer);
          if (signal.aborted) end({ stop: 'cancelled' });
          else if (!parsed.success)
            end({ stop: 'failed', reason: 'the agent ended the turn with an answer that is not ACP' });
          else end({ stop: stops[parsed.data.stopReason] ?? 'end_turn' });
        },
        async (err: unknown) => {
          const why = await acp.whyEnded(err);
          end({ stop: 'failed', reason: `the agent stopped mid-answer: ${why}`, stderr: proc.stderrTail() });
        },
      );
    });
  };

  return {
    sessionId,
    start: started.start,
    get alive() {
      return acp.alive;
    },
    prompt,
    close: () => {
      acp.close();
      return Promise.resolve();
    },
  };
}
