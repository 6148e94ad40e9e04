import { stripControls } from '../core/chat/text.js';
import type { TurnEnd } from '../core/conversations/protocol.js';
import { duration } from '../core/runtime/duration.js';

/**
 * What one answer may hold. An agent that goes past it is flooding: the turn ends failed rather
 * than fleetbot holding (and sending to a chat) an unbounded text.
 */
export const maxAnswerChars = 200_000;

/** A role's `chat.silence`: how long a turn may go without a word from the agent before it fails. */
export const silenceSchema = duration('5m', { min: 5_000, max: 3_600_000 });

/** Agent text quoted in a reason fleetbot writes (a bad line, an error message): cleaned and short. */
export const quote = (text: string, max = 200): string => {
  const clean = stripControls(text).replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
};

export const floodEnd = (): TurnEnd => ({
  stop: 'failed',
  reason: `the answer passed ${maxAnswerChars.toLocaleString('en')} characters, so fleetbot stopped reading it. Ask for a shorter answer, or for the result as a file in the agent's folder.`,
});

export const silenceEnd = (ms: number, stderr?: string): TurnEnd => ({
  stop: 'failed',
  reason: `the agent sent nothing for ${Math.round(ms / 1000)} s, so fleetbot gave up on this answer. Ask again; if it keeps happening, raise chat.silence in the role file or check /logs.`,
  ...(stderr ? { stderr } : {}),
});
