import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { clockTime } from '../core/chat/format.js';
import { UserError } from '../core/runtime/errors.js';
import { message } from '../core/chat/outbound.js';

export const pair = defineCommand({
  name: 'pair',
  summary: 'Become admin with the one-time code from the bot’s log (private chat only)',
  usage: '/pair <code>',
  permission: 'viewer',
  scope: 'admin',
  public: true,
  positional: ['code'],
  args: z.object({ code: z.string().max(32) }).strict(),
  run: async (ctx, { code }) => {
    const { pairing } = ctx.services;
    switch (pairing.attempt(code, ctx.user)) {
      case 'paired':
        return message(
          `You are now admin (${ctx.principal}). /help shows what you can do; /allow grants access to others.`,
        );
      case 'locked': {
        const lock = pairing.lockFor(ctx.user);
        const until = clockTime(lock?.untilMs ?? ctx.services.now());
        throw new UserError(
          lock?.everyone
            ? `Pairing is paused for everyone after many wrong codes from several people, until ${until}. Then run "fleetbot pair" on the bot's host for a fresh code.`
            : `Pairing is locked for you after too many wrong codes, until ${until}. Then run "fleetbot pair" on the bot's host for a fresh code.`,
        );
      }
      case 'wrong':
        throw new UserError(
          'That code is not valid (wrong, used or expired). Run "fleetbot pair" on the bot’s host for a fresh code.',
        );
    }
  },
});
