import { authenticateApiKey } from '../access/apiKeys.js';
import type { Caller } from '../access/access.js';
import type { Cooldown } from '../access/cooldown.js';
import { message } from '../chat/outbound.js';
import type { ApiCall } from '../api/call.js';
import type { Store } from '../store/index.js';
import type { CommandSpec } from './command.js';
import { next, stop, type Identified, type Stage } from './stages.js';

/** A program's own conversation with an agent, within its key: letters, digits, - and _. */
const conversationPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** A program as the audit and chats name it: the key's name, in a chat of its own per conversation. */
const programIn = (name: string, conversation?: string): Pick<Caller, 'user' | 'chat'> => ({
  user: { platform: 'api', userId: name },
  chat: { platform: 'api', chatId: conversation === undefined ? name : `${name}/${conversation}` },
});

/**
 * Who a program is: the principal `api:<name>` of the key it presents, at the level its scopes give,
 * in a chat of its own (`api:<name>`, or `api:<name>/<conversation>` to keep talking to an agent).
 * A refused key is audited under its name; an unknown one once per cool-down, so guessing keys cannot
 * flood the audit.
 */
export function authenticate(
  call: ApiCall,
  deps: { store: Store; now: () => number; unknownKeys: Cooldown },
): Stage<Identified> {
  if ('console' in call.who) {
    const user = { platform: 'console', userId: 'local' } as const;
    // Every scope, so the rest of core treats it as the program it is (an answer comes as events).
    const caller: Caller = {
      user,
      chat: { platform: 'console', chatId: 'local' },
      level: 'admin',
      principal: 'console:local',
      scopes: ['admin'],
    };
    return next({ caller, listed: true });
  }
  const auth = authenticateApiKey(deps.store, deps.now, call.who.key);
  if (!auth.ok) {
    const audit = {
      action: 'api',
      outcome: `refused: ${auth.reason} key`,
      detail: `/${call.command.slice(0, 40)}`,
    };
    const refused = {
      fromStranger: true,
      problem: 'unauthenticated',
      toSender: message(auth.message),
    } as const;
    if (auth.reason !== 'unknown') return stop({ ...refused, audit, auditAs: programIn(auth.name) });
    return stop(
      deps.unknownKeys.admit('api:unknown') ? { ...refused, audit, auditAs: programIn('unknown') } : refused,
    );
  }
  if (call.conversation !== undefined && !conversationPattern.test(call.conversation)) {
    return stop({
      audit: { action: 'api', outcome: 'rejected: bad conversation id', detail: `/${call.command}` },
      problem: 'invalid',
      toSender: message('A conversation id is 1 to 64 letters, digits, - or _.'),
    });
  }
  const caller: Caller = {
    ...programIn(auth.name, call.conversation),
    level: auth.level,
    principal: auth.principal,
    scopes: auth.scopes,
  };
  return next({ caller, listed: true });
}

/** Whether the key's scopes cover the command (`admin` covers all); people have no scopes to check. */
export function scoped(caller: Caller, spec: CommandSpec, shown: string): Stage<Caller> {
  const scopes = caller.scopes;
  if (!scopes || scopes.includes('admin') || scopes.includes(spec.scope)) return next(caller);
  return stop({
    audit: { action: spec.name, outcome: `refused: needs scope ${spec.scope}`, detail: shown },
    problem: 'forbidden',
    toSender: message(
      `The key ${caller.user.userId} has the scopes ${scopes.join(', ')}; /${spec.name} needs ${spec.scope}. Ask an admin for a key with that scope (/keys create).`,
    ),
  });
}

/** The call's arguments checked by the command's own schema: its names, its rules, nothing extra. */
export function bindRecord(spec: CommandSpec, args: Record<string, unknown>, shown: string): Stage<unknown> {
  const parsed = spec.args.safeParse(args);
  if (parsed.success) return next(parsed.data);
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return stop({
    audit: { action: spec.name, outcome: 'rejected: bad arguments', detail: shown },
    problem: 'invalid',
    toSender: message(`${where}${issue?.message ?? 'Invalid arguments.'}`),
  });
}

/** The call as the audit shows it: free text (a prompt) by its size, a public command's arguments not at all. */
export function shownCall(spec: CommandSpec | undefined, call: ApiCall): string {
  if (!spec) return `/${call.command.slice(0, 40)}`;
  if (spec.public) return `/${spec.name} …`;
  const freeText = spec.freeText ? spec.positional.at(-1) : undefined;
  const parts = Object.entries(call.args).map(([k, v]) =>
    k === freeText
      ? `${k}=(${String(v).length} characters)`
      : `${k.slice(0, 40)}=${String(JSON.stringify(v)).slice(0, 60)}`,
  );
  return [`/${spec.name}`, ...parts].join(' ').slice(0, 300);
}
