import { z } from 'zod';
import { clockTime, duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';
import type { OrphanView } from '../core/fleet/reconcile.js';
import { definePrompt } from '../core/prompts/definePrompt.js';

/** The card reconciliation posts about something no agent owns: Delete, Adopt or Keep, admins only. */
export const orphanPrompt = definePrompt({
  kind: 'orphan',
  payload: z.object({
    provider: z.string(),
    found: z.object({
      id: z.string(),
      description: z.string(),
      createdAt: z.number(),
      adoptAs: z.object({ name: z.string(), role: z.string() }).optional(),
    }),
  }),
  permission: 'admin',
  choices: ['delete', 'adopt', 'keep'],
  approveChoice: 'delete',
  draw: ({ provider, found, now }: OrphanView, { buttons }) => ({
    ...message(
      bold(`🧐 ${found.description} on ${provider} belongs to no agent`),
      `fleetbot made it ${duration(now - found.createdAt)} ago, but no agent's record names it, so it may cost money for nothing.`,
      found.adoptAs
        ? `Delete it, adopt it as agent ${found.adoptAs.name} (${found.adoptAs.role}) so /list and /destroy know it, or keep it and stop being told.`
        : 'Delete it, or keep it and stop being told.',
    ),
    buttons: [
      [
        { id: buttons.delete, label: 'Delete', style: 'danger' },
        // Adopt is offered only where the provider can tell whose it was.
        ...(found.adoptAs ? [{ id: buttons.adopt, label: 'Adopt' }] : []),
        { id: buttons.keep, label: 'Keep' },
      ],
    ],
  }),
  async decide(ctx, { payload: { provider, found }, choice }) {
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
  expired: ({ found }) => message(`This report about ${found.description} expired.`),
});
