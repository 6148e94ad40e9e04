import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { UserError } from '../core/runtime/errors.js';
import { bold, code, message } from '../core/chat/outbound.js';
import type { Scope } from '../core/store/subscriptions.js';

const describe = (s: Scope): string =>
  s.scope === 'all'
    ? 'all agents'
    : s.scope === 'owner'
      ? `agents owned by ${s.value}`
      : `${s.scope} ${s.value}`;

export const alerts = defineCommand({
  name: 'alerts',
  summary:
    'What this chat is alerted about; /alerts on|off all, role R, agent NAME, or mine (a group: on = all)',
  usage: '/alerts [on|off] [all | role <role> | agent <name> | mine]  (in a group, /alerts on follows all)',
  permission: 'viewer',
  scope: 'admin',
  // Following your own agents is personal; deciding what a chat receives is an admin's call.
  permissionFor: (args) => (args.action === undefined || args.scope === 'mine' ? 'viewer' : 'admin'),
  positional: ['action?', 'scope?', 'value?'],
  args: z
    .object({
      action: z.enum(['on', 'off'], { error: 'Say on or off, e.g. /alerts on all.' }).optional(),
      scope: z
        .enum(['all', 'role', 'agent', 'mine'], { error: 'Choose all, role <role>, agent <name> or mine.' })
        .optional(),
      value: z.string().max(64).optional(),
    })
    .strict()
    .refine((a) => (a.scope === 'role' || a.scope === 'agent') === (a.value !== undefined), {
      error: 'role and agent take a name (/alerts on role swe); all and mine take none.',
    }),
  run: async (ctx, args) => {
    const { store } = ctx.services;
    if (args.action === 'on' && args.scope === undefined && ctx.direct) {
      throw new UserError(
        'Say what to follow: /alerts on mine for your own agents, or all, role <role>, agent <name>.',
      );
    }
    // In a group, a bare "on" means what the people there want: the whole fleet, in this chat.
    const scope: Scope | undefined =
      args.scope === undefined
        ? args.action === 'on'
          ? { scope: 'all' }
          : undefined
        : args.scope === 'all'
          ? { scope: 'all' }
          : args.scope === 'mine'
            ? { scope: 'owner', value: ctx.principal }
            : { scope: args.scope, value: args.value! };
    if (args.action === 'on' && scope) {
      if (scope.scope === 'owner' && ctx.chat.platform !== 'console' && ctx.chat.chatId !== ctx.user.userId) {
        throw new UserError(
          'Alerts about your own agents come to you directly: send /alerts on mine in a private chat with the bot.',
        );
      }
      store.subscriptions.add(ctx.chat, scope, ctx.principal);
      return message(
        `This chat now gets alerts about ${describe(scope)}: one message per outage, kept up to date.`,
      );
    }
    if (args.action === 'off') {
      const removed = store.subscriptions.remove(ctx.chat, scope);
      return message(
        removed
          ? `Stopped: ${scope ? describe(scope) : 'all alerts in this chat'}.`
          : 'This chat was not following that.',
      );
    }
    const subs = store.subscriptions.forChat(ctx.chat);
    if (subs.length === 0)
      return message('This chat gets no alerts.', ['Start with ', code('/alerts on all'), '.']);
    return message(bold('This chat gets alerts about'), ...subs.map((s) => `• ${describe(s)}`));
  },
});
