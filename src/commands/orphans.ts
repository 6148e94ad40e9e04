import { z } from 'zod';
import type { PromptHandler } from '../core/router/command.js';
import { clockTime } from '../core/chat/format.js';
import { code, message } from '../core/chat/outbound.js';
import { orphanKind } from '../core/fleet/reconcile.js';

const payloadSchema = z.object({
  provider: z.string(),
  found: z.object({
    id: z.string(),
    description: z.string(),
    createdAt: z.number(),
    adoptAs: z.object({ name: z.string(), role: z.string() }).optional(),
  }),
});

/** The card reconciliation posts about something no agent owns: Delete, Adopt or Keep, admins only. */
export const orphanPrompt: PromptHandler = {
  kind: orphanKind,
  permission: 'admin',
  choices: ['delete', 'adopt', 'keep'],
  approveChoice: 'delete',
  async decide(ctx, prompt, choice) {
    const { provider, found } = payloadSchema.parse(prompt.payload);
    const when = clockTime(ctx.services.now());
    if (choice === 'adopt') {
      const agent = await ctx.services.reconciler.adopt(provider, found, ctx.principal);
      return {
        card: message(
          `Adopted ${found.description} on ${provider} as agent ${agent.name} (${ctx.principal}, ${when}). `,
          [code(`/status ${agent.name}`), ' shows it; ', code(`/destroy ${agent.name}`), ' removes it.'],
        ),
        toast: `Adopted as ${agent.name}.`,
      };
    }
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
