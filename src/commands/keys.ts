import { z } from 'zod';
import { apiKeyNameSchema, apiPrincipal, createApiKey } from '../core/access/apiKeys.js';
import { apiScopeSchema, apiScopes, levelOfScopes } from '../core/access/apiScopes.js';
import { duration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';
import { defineCommand } from '../core/router/command.js';
import { durationText } from '../core/runtime/duration.js';
import { UserError } from '../core/runtime/errors.js';
import type { ApiKey } from '../core/store/apiKeys.js';

const day = 86_400_000;
const ttlBounds = durationText({ min: 3_600_000, max: 3 * 365 * day });

const ttlSchema = z.string().transform((s, ctx) => {
  const ttl = ttlBounds.safeParse(s);
  if (ttl.success) return ttl.data;
  ctx.addIssue({ code: 'custom', message: `--ttl: ${ttl.error.issues[0]?.message}, e.g. --ttl 90d.` });
  return z.NEVER;
});

/** How many keys /keys shows; revoked keys stay in the store for the audit's sake and would pile up. */
const shownKeys = 30;

const named = (usage: string) => z.string({ error: `Name the key: ${usage}.` }).pipe(apiKeyNameSchema);

const date = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function describe(k: ApiKey, now: number): string {
  const state =
    k.revokedAt !== null
      ? `revoked ${date(k.revokedAt)}`
      : k.expiresAt !== null && k.expiresAt <= now
        ? `expired ${date(k.expiresAt)}`
        : k.expiresAt !== null
          ? `live, expires ${date(k.expiresAt)}`
          : 'live, never expires';
  const used = k.lastUsedAt === null ? 'never used' : `last used ${duration(now - k.lastUsedAt)} ago`;
  return ` ${k.scopes.join(', ')} · by ${k.createdBy} · ${used} · ${state}`;
}

export const keys = defineCommand({
  name: 'keys',
  summary: 'API keys for scripts and programs: list, create (shown once, private chat only), revoke',
  usage: '/keys · /keys create <name> <scope>… [--ttl 90d] · /keys revoke <name>',
  permission: 'admin',
  scope: 'admin',
  positional: ['action?', 'name?', 'scopes...'],
  flags: { ttl: { type: 'value' } },
  args: z.preprocess(
    // Plain /keys lists them.
    (v) => (v && typeof v === 'object' && !('action' in v) ? { ...v, action: 'list' } : v),
    z.discriminatedUnion(
      'action',
      [
        z.strictObject(
          { action: z.literal('list') },
          { error: 'To list the keys send /keys alone; to make one, /keys create <name> <scope>….' },
        ),
        z.strictObject({
          action: z.literal('create'),
          name: named('/keys create <name> <scope>…'),
          scopes: z
            .array(apiScopeSchema, { error: `Name at least one scope: ${apiScopes.join(', ')}.` })
            .min(1),
          ttl: ttlSchema.optional(),
        }),
        z.strictObject(
          { action: z.literal('revoke'), name: named('/keys revoke <name>') },
          { error: 'Revoke one key at a time: /keys revoke <name>.' },
        ),
      ],
      { error: 'Say create or revoke, or send /keys alone for the list.' },
    ),
  ),
  run: async (ctx, args) => {
    const { store, now } = ctx.services;
    if (args.action === 'create') {
      // A group's members and its history would all see the key; checked before anything is made.
      if (!ctx.direct) {
        throw new UserError(
          'A key is shown only once, so never in a group: send /keys create in a private chat with the bot, or run "fleetbot keys create …" on its host. No key was made.',
        );
      }
      const expiresAt = args.ttl === undefined ? null : now() + args.ttl;
      const { key, record } = createApiKey(store, {
        name: args.name,
        scopes: args.scopes,
        createdBy: ctx.principal,
        expiresAt,
      });
      return message(
        [
          `Key ${record.name} made with ${record.scopes.join(', ')}: it acts as `,
          code(apiPrincipal(record.name)),
          ` with ${levelOfScopes(record.scopes)} rights, ${expiresAt === null ? 'and never expires' : `until ${new Date(expiresAt).toISOString()}`}.`,
        ],
        [code(key)],
        `This is the only time it is shown: fleetbot keeps its hash, not the key. Put it in your secret store now; /keys revoke ${record.name} ends it.`,
      );
    }
    if (args.action === 'revoke') {
      if (!store.apiKeys.revoke(args.name)) {
        throw new UserError(
          `No key named ${args.name} is in use (or it is revoked already). /keys lists them.`,
        );
      }
      return message(`Revoked ${args.name}: every request with it is refused from now on.`);
    }
    const all = store.apiKeys.list();
    if (all.length === 0) {
      return message('No API keys yet.', [
        'Make one in a private chat with the bot: ',
        code('/keys create github-ci agents:read --ttl 90d'),
        '.',
      ]);
    }
    return message(
      bold(`API keys (${all.length})`),
      ...all.slice(0, shownKeys).map((k) => [code(k.name), describe(k, now())]),
      ...(all.length > shownKeys ? [`… and ${all.length - shownKeys} more.`] : []),
    );
  },
});
