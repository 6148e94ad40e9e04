import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { jobAccepted } from '../core/jobs/accepted.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const image = defineCommand({
  name: 'image',
  summary: 'Build or list golden images (build <role> | list)',
  usage: '/image build <role> [--provider P] · /image list [--provider P]',
  permission: 'admin',
  scope: 'admin',
  positional: ['action', 'role?'],
  flags: { provider: { type: 'value' } },
  args: z
    .object({
      action: z.enum(['build', 'list'], { error: 'say /image build <role> or /image list' }),
      role: z.string().max(64).optional(),
      provider: z.string().max(32).optional(),
    })
    .strict()
    .refine((a) => a.action !== 'build' || a.role, {
      error: 'name the role: /image build <role> (see /roles)',
    }),
  run: async (ctx, args) => {
    const provider = args.provider ? { provider: args.provider } : {};
    if (args.action === 'build') {
      const job = ctx.services.fleet.buildImage({
        role: args.role!,
        requester: ctx.principal,
        chat: ctx.chat,
        ...provider,
      });
      // The job's card tells the chat; `fleetbot image build swe --json` follows the job to its end.
      return jobAccepted(ctx.services, job.id);
    }
    const images = await ctx.services.fleet.images(args.provider);
    if (images.length === 0)
      return message('No golden images yet. ', code('/image build <role>'), ' makes one.');
    return message(
      bold(`Golden images (${images.length})`),
      ...images.map((i) => [
        code(i.id),
        ` ${i.role} v${i.version} · ${i.status} · ${i.createdAt.slice(0, 16).replace('T', ' ')} · ${i.description}`,
      ]),
    );
  },
});
