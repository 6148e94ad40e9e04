import { z } from 'zod';
import { actsForAsker } from '../core/conversations/actsForAsker.js';
import { message } from '../core/chat/outbound.js';
import { definePrompt } from '../core/prompts/definePrompt.js';

/**
 * How long a Stop button is valid. Its turn closes it on ending, long before; the time only matters
 * when fleetbot stopped mid-turn and the button was left behind.
 */
export const stopButtonTtlMs = 24 * 60 * 60 * 1000;

/**
 * Stop on a running answer: cancels the turn (`session/cancel`), as `/stop` does, for the person who
 * asked or an operator. The button sits on the answer, which the turn draws: pressing it changes
 * nothing here but the turn, whose answer ends saying who stopped it.
 */
export const stopPrompt = definePrompt({
  kind: 'stop',
  payload: z.object({ turnId: z.number().int(), agent: z.string(), asker: z.string() }),
  permission: 'viewer',
  choices: ['stop'],
  approveChoice: 'stop',
  onAnswer: true,
  mayPress: (caller, { agent, asker }) =>
    actsForAsker(caller, asker) ? undefined : `Only ${asker}, who asked, or an operator can stop ${agent}.`,
  draw: (_view: undefined, { buttons }) => ({
    ...message(),
    buttons: [[{ id: buttons.stop, label: '⏹ Stop', style: 'danger' }]],
  }),
  async decide(ctx, { payload }) {
    const stopping = ctx.services.conversations.stopTurn(ctx, payload.turnId);
    return {
      toast: stopping ? `Stopping ${payload.agent}…` : `${payload.agent}’s answer had already ended.`,
    };
  },
  // Never drawn: the answer it sits on is the turn's to draw.
  expired: () => message(),
});
