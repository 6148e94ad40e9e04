import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { message } from '../core/chat/outbound.js';
import { defineCommand } from '../core/router/command.js';
import { UserError } from '../core/runtime/errors.js';

export const ask = defineCommand({
  name: 'ask',
  summary: 'Ask an agent something; its answer streams into one message (reply to it to carry on)',
  usage: '/ask <name> <prompt>  ·  /ask verbose on|off',
  // Who may talk to an agent is its role's `chat.level`, checked by conversations.
  permission: 'viewer',
  scope: 'agents:chat',
  positional: ['name', 'prompt'],
  freeText: true,
  args: z.object({ name: agentNameSchema.or(z.literal('verbose')), prompt: z.string().min(1) }).strict(),
  run: async (ctx, { name, prompt }) => {
    const conversations = ctx.services.conversations;
    if (name === 'verbose') {
      const on = { on: true, off: false }[prompt.trim().toLowerCase()];
      if (on === undefined)
        throw new UserError('Use /ask verbose on (show every tool step) or /ask verbose off.');
      conversations.setVerbose(ctx, on);
      return message(
        on
          ? 'Answers in this chat now list every tool step the agent takes.'
          : 'Answers in this chat now show one status line for the agent’s tool steps.',
      );
    }
    const agent = ctx.services.fleet.find(name);
    const events = conversations.ask(ctx, { agent, text: prompt, direct: ctx.direct });
    // A chat sees the answer stream in; a program follows its events.
    return events ? { record: { agent: agent.name }, accepted: true, events } : undefined;
  },
});
