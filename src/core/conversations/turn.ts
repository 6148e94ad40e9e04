import { agentText } from '../chat/text.js';
import type { MessageRef } from '../chat/types.js';
import type { Clock } from '../runtime/clock.js';
import { errorMessage } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Answer } from '../chat/answer.js';
import type { AgentSession, PermissionChoice, PermissionRequest, ToolStep, TurnEnd } from './protocol.js';
import { recordStep, stepStatus } from './steps.js';

/** How much of an agent's stderr a failed answer shows. */
const maxStderrChars = 1_000;
/** How often the elapsed time on a status line moves on while nothing else changes. */
const statusTickMs = 5_000;
/**
 * A turn that runs this long gets a Stop button, sooner once a tool step is under way or the agent
 * asks permission: a quick answer never shows one, since buttons end a Telegram draft or Slack stream.
 */
export const stopButtonAfterMs = 10_000;

export type TurnOutcome = {
  status: 'answered' | 'cancelled' | 'failed' | 'interrupted';
  /** The whole text the agent wrote, for protocols that continue by resending history. */
  text: string;
  detail?: string;
  refs: MessageRef[];
};

/** Why a turn was aborted: a person's /stop (by whom), or fleetbot stopping. */
export type AbortReason = { by: string } | { shutdown: true };

const footers: Record<Exclude<TurnEnd['stop'], 'failed' | 'cancelled' | 'end_turn'>, string> = {
  max_tokens: 'The agent stopped at its length limit; reply “go on” to continue.',
  refusal: 'The agent declined to answer this.',
};

/**
 * One turn of a conversation: the prompt goes to the agent's session, what it writes streams into the
 * answer, its tool steps become the status line, its permission requests become cards. Never throws:
 * every ending is told on the answer.
 */
export async function runTurn(p: {
  session: AgentSession;
  prompt: string;
  answer: Answer;
  signal: AbortSignal;
  verbose: boolean;
  /** A line to show first, e.g. that the earlier session could not be continued. */
  notice?: string;
  askPermission(request: PermissionRequest, signal: AbortSignal): Promise<PermissionChoice>;
  /** The Stop button on the answer: offered at most once, withdrawn before the answer ends. */
  stopButton: { offer(): void; withdraw(): void };
  clock: Clock;
  log: Logger;
}): Promise<TurnOutcome> {
  const { answer, clock } = p;
  const started = clock.now();
  let text = '';
  let steps: ToolStep[] = [];
  let tick: unknown;
  const drawStatus = (): void => {
    const lines = stepStatus(steps, clock.now() - started, p.verbose);
    answer.status(p.notice ? [p.notice, ...(lines ?? [])] : lines);
  };
  const ticking = (): void => {
    tick = clock.setTimeout(() => {
      if (steps.length > 0) drawStatus();
      ticking();
    }, statusTickMs);
  };
  drawStatus();
  ticking();
  let stopOffered = false;
  const offerStop = (): void => {
    if (stopOffered || p.signal.aborted) return;
    stopOffered = true;
    p.stopButton.offer();
  };
  const stopTimer = clock.setTimeout(offerStop, stopButtonAfterMs);

  let end: TurnEnd;
  try {
    end = await p.session.prompt(
      p.prompt,
      {
        text: (delta) => {
          text += delta;
          answer.append(delta);
        },
        step: (step) => {
          steps = recordStep(steps, step);
          // A step the agent only announced (pending) may take no time at all: only one under way counts.
          if (step.status === 'in_progress') offerStop();
          drawStatus();
        },
        permission: (request) => {
          offerStop();
          return p.askPermission(request, p.signal);
        },
        file: (file) => answer.attach(file),
        skipped: (what) => p.log.warn({ what: agentText(what, 200) }, 'skipped something the agent sent'),
      },
      p.signal,
    );
  } catch (err) {
    // Protocols end turns themselves; this is the last guard, so an answer never hangs on "writing…".
    end = { stop: 'failed', reason: errorMessage(err) };
  } finally {
    clock.clearTimeout(tick);
    clock.clearTimeout(stopTimer);
  }
  if (stopOffered) p.stopButton.withdraw();
  if (steps.length > 0 && !p.verbose) answer.status(p.notice ? [p.notice] : undefined);

  if (end.stop === 'failed') {
    const stderr = end.stderr ? agentText(end.stderr.slice(-maxStderrChars), maxStderrChars) : '';
    const reason = stderr ? `${end.reason}\nLast lines it wrote to stderr:\n${stderr}` : end.reason;
    return { status: 'failed', text, detail: end.reason, refs: await answer.fail(reason) };
  }
  if (end.stop === 'cancelled') {
    const why = p.signal.reason as AbortReason | undefined;
    if (why && 'shutdown' in why) {
      const refs = await answer.finish('⚠️ Interrupted: fleetbot is restarting. Reply to carry on.');
      return { status: 'interrupted', text, refs };
    }
    const by = why && 'by' in why ? ` by ${why.by}` : '';
    return {
      status: 'cancelled',
      text,
      detail: `cancelled${by}`,
      refs: await answer.finish(`⏹ Stopped${by}.`),
    };
  }
  const footer = end.stop === 'end_turn' ? undefined : footers[end.stop];
  return { status: 'answered', text, refs: await answer.finish(footer) };
}
