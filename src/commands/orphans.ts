import { z } from 'zod';
import type { PromptHandler } from '../core/command.js';
import { clockTime } from '../core/format.js';
import { message } from '../core/outbound.js';
import { orphanKind } from '../core/reconcile.js';

const payloadSchema = z.object({
  provider: z.string(),
  found: z.object({ id: z.string(), description: z.string(), createdAt: z.number() }),
});

/** The card reconciliation posts about something no agent owns: Delete or Keep, admins only. */
export const orphanPrompt: PromptHandler = {
  kind: orphanKind,
  permission: 'admin',
  choices: ['delete', 'keep'],
  approveChoice: 'delete',
  async decide(ctx, prompt, choice) {
    const { provider, found } = payloadSchema.parse(prompt.payload);
    const when = clockTime(ctx.services.now());
    if (choice === 'keep') {
      return {
        card: message(
          `Kept ${found.description} on ${provider} (${ctx.principal}, ${when}); it will not be reported again.`,
        ),
        toast: 'Kept.',
      };
    }
    await ctx.services.reconciler.remove(provider, found);
    return {
      card: message(`Deleted ${found.description} on ${provider} (${ctx.principal}, ${when}).`),
      toast: 'Deleted.',
    };
  },
  expired: (prompt) =>
    message(`This report about ${payloadSchema.parse(prompt.payload).found.description} expired.`),
};
