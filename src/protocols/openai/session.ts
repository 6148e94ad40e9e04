import type { Client } from 'undici';
import { z } from 'zod';
import type { AgentSession, HistoryMessage, TurnEnd, TurnEvents } from '../../core/conversations/protocol.js';
import type { Clock } from '../../core/runtime/clock.js';
import { errorMessage } from '../../core/runtime/errors.js';
import type { Logger } from '../../core/runtime/logging.js';
import type { Agent } from '../../core/store/agents.js';
import { floodEnd, maxAnswerChars, quote, silenceEnd } from '../limits.js';
import { EventTooLong, sseData } from './sse.js';

/** One `chat.completion.chunk`; only what the answer shows is read. */
const chunkSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        delta: z.looseObject({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
});
const errorEvent = z.looseObject({ error: z.looseObject({ message: z.string() }) });

const stops: Record<string, Exclude<TurnEnd['stop'], 'failed'>> = {
  stop: 'end_turn',
  tool_calls: 'end_turn',
  length: 'max_tokens',
  content_filter: 'refusal',
};

/** Why fleetbot stopped reading a response itself, as opposed to the agent or the network. */
class Stopped extends Error {
  constructor(readonly end: TurnEnd) {
    super('stopped');
  }
}

export type OpenAiChat = { path: string; model?: string | undefined; silence: number };

/** One conversation over the agent's Chat Completions API; the history is resent each turn. */
export function openaiSession(
  api: Client,
  opts: {
    agent: Agent;
    chat: OpenAiChat;
    sessionId: string;
    history: HistoryMessage[];
    token?: string;
    clock: Clock;
    log: Logger;
  },
): AgentSession {
  const { chat, clock } = opts;
  const history = [...opts.history];
  let closed = false;

  const turn = async (text: string, events: TurnEvents, signal: AbortSignal): Promise<TurnEnd> => {
    const stop = new AbortController();
    const stopWith = (end: TurnEnd): void => stop.abort(new Stopped(end));
    const onAbort = (): void => stopWith({ stop: 'cancelled' });
    signal.addEventListener('abort', onAbort, { once: true });
    let silenceTimer: unknown;
    const arm = (): void => {
      clock.clearTimeout(silenceTimer);
      silenceTimer = clock.setTimeout(() => stopWith(silenceEnd(chat.silence)), chat.silence);
    };
    const messages = [...history, { role: 'user' as const, content: text }];
    let answer = '';
    try {
      if (signal.aborted) return { stop: 'cancelled' };
      arm();
      const response = await api.request({
        method: 'POST',
        path: chat.path,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
        body: JSON.stringify({ ...(chat.model ? { model: chat.model } : {}), messages, stream: true }),
        signal: stop.signal,
      });
      if (response.statusCode !== 200) {
        const body = (await response.body.text()).slice(0, 2000);
        const said = errorEvent.safeParse(safeJson(body)).data?.error.message ?? body;
        return {
          stop: 'failed',
          reason: `the agent's API answered HTTP ${response.statusCode}: ${quote(said)}. Check /logs ${opts.agent.name}.`,
        };
      }
      let finish: string | undefined;
      for await (const data of sseData(response.body)) {
        arm();
        if (data.trim() === '[DONE]') break;
        const json = safeJson(data);
        const failure = errorEvent.safeParse(json);
        if (failure.success)
          return {
            stop: 'failed',
            reason: `the agent reported an error: ${quote(failure.data.error.message)}`,
          };
        const chunk = chunkSchema.safeParse(json);
        if (!chunk.success) {
          opts.log.warn({ agent: opts.agent.name }, 'skipped a Chat Completions event it could not read');
          events.skipped('an event that is not a chat.completion.chunk');
          continue;
        }
        for (const choice of chunk.data.choices.slice(0, 1)) {
          const delta = choice.delta?.content;
          if (delta) {
            answer += delta;
            // Aborting ends the request too, so the agent's connection is not left streaming.
            if (answer.length > maxAnswerChars) stopWith(floodEnd());
            else events.text(delta);
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        if (stop.signal.aborted) break;
      }
      if (stop.signal.aborted) throw stop.signal.reason;
      return { stop: finish ? (stops[finish] ?? 'end_turn') : 'end_turn' };
    } catch (err) {
      const reason: unknown = stop.signal.aborted ? stop.signal.reason : err;
      if (reason instanceof Stopped) return reason.end;
      if (err instanceof EventTooLong) return { stop: 'failed', reason: err.message };
      return {
        stop: 'failed',
        reason: `the agent's API could not be reached or broke off (${quote(errorMessage(err))}). Check that it runs (/status ${opts.agent.name}).`,
      };
    } finally {
      clock.clearTimeout(silenceTimer);
      signal.removeEventListener('abort', onAbort);
      history.push({ role: 'user', content: text });
      if (answer) history.push({ role: 'assistant', content: answer.slice(0, maxAnswerChars) });
    }
  };

  return {
    sessionId: opts.sessionId,
    start: opts.history.length ? { kind: 'resumed' } : { kind: 'new' },
    get alive() {
      return !closed;
    },
    prompt: turn,
    async close() {
      closed = true;
      await api.destroy();
    },
  };
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
