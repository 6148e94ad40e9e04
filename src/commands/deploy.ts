import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand, type FlagSpec } from '../core/router/command.js';
import { jobAccepted } from '../core/jobs/accepted.js';
import { allProviders } from '../providers/index.js';

/** Every provider's /deploy flags, in registry order; two providers may not claim one flag. */
const providerFlags = allProviders.flatMap((m) => Object.entries(m.deployFlags));
const flagNames = providerFlags.map(([name]) => name);
const twice = flagNames.find((name, i) => flagNames.indexOf(name) !== i);
if (twice) throw new Error(`two providers declare the /deploy flag --${twice}`);

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Create an agent of a role and start it',
  usage: [
    '/deploy <role> <name> [--provider P]',
    ...providerFlags.map(([n, f]) => `[--${n} ${f.placeholder}]`),
  ].join(' '),
  permission: 'operator',
  scope: 'agents:deploy',
  positional: ['role', 'name'],
  flags: Object.fromEntries(
    ['provider', ...flagNames].map((name): [string, FlagSpec] => [name, { type: 'value' }]),
  ),
  args: z
    .object({
      role: z.string().max(64),
      name: agentNameSchema,
      provider: z.string().max(32).optional(),
      ...Object.fromEntries(providerFlags.map(([name, flag]) => [name, flag.schema.optional()])),
    })
    .strict(),
  run: async (ctx, { role, name, provider, ...flags }) => {
    const job = await ctx.services.fleet.deploy({
      role,
      name,
      ...(provider ? { provider } : {}),
      options: Object.fromEntries(
        Object.entries(flags).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      ),
      requester: ctx.principal,
      chat: ctx.chat,
    });
    // The job's card tells the chat; programs get the job to follow.
    return jobAccepted(ctx.services, job.id);
  },
});
