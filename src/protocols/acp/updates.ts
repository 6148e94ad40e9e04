import path from 'node:path';
import { z } from 'zod';
import type { ToolStep } from '../../core/conversations/protocol.js';

/**
 * What fleetbot reads of an ACP `session/update`. Only the parts it shows are checked, loosely:
 * adapters ship with different SDK versions, and a field fleetbot does not read must not cost the
 * update.
 */

const stepStatus = z.enum(['pending', 'in_progress', 'completed', 'failed']);

const notification = z.object({
  sessionId: z.string(),
  update: z.looseObject({ sessionUpdate: z.string() }),
});

const messageChunk = z.looseObject({
  content: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text'), text: z.string() }),
    z.looseObject({ type: z.enum(['image', 'audio', 'resource_link', 'resource']) }),
  ]),
});

const toolCall = z.looseObject({
  toolCallId: z.string(),
  title: z.string(),
  status: stepStatus.optional(),
  content: z.array(z.unknown()).optional(),
});

const toolCallUpdate = z.looseObject({
  toolCallId: z.string(),
  title: z.string().nullish(),
  status: stepStatus.nullish(),
  content: z.array(z.unknown()).nullish(),
});

const diff = z.looseObject({
  type: z.literal('diff'),
  path: z.string(),
  oldText: z.string().nullish(),
  newText: z.string(),
});

const embeddedFile = z.looseObject({
  type: z.literal('content'),
  content: z.looseObject({
    type: z.literal('resource'),
    resource: z.looseObject({ uri: z.string(), text: z.string() }),
  }),
});

/** Kinds ACP v1 defines that the answer does not show (plans, thoughts, modes, usage...). */
const unshownKinds = new Set([
  'user_message_chunk',
  'agent_thought_chunk',
  'plan',
  'available_commands_update',
  'current_mode_update',
  'config_option_update',
  'session_info_update',
  'usage_update',
  'notice',
  'compaction_update',
  'compaction_summary_chunk',
]);

/** A file bigger than this is not sent beside the answer. */
export const maxFileChars = 1024 * 1024;

export type ReportedFile = { name: string; content: string };

export type ReadUpdate =
  | { kind: 'text'; delta: string }
  | { kind: 'step'; step: ToolStep; files: ReportedFile[] }
  | { kind: 'unshown' }
  | { kind: 'elsewhere' }
  | { kind: 'skipped'; what: string };

/** A whole-file unified diff: every old line out, every new line in; `patch` applies it. */
function unifiedDiff(file: string, oldText: string | null | undefined, newText: string): string {
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const before = oldText == null ? [] : lines(oldText);
  const after = lines(newText);
  return [
    `--- ${oldText == null ? '/dev/null' : file}`,
    `+++ ${file}`,
    `@@ -${before.length ? 1 : 0},${before.length} +${after.length ? 1 : 0},${after.length} @@`,
    ...before.map((l) => `-${l}`),
    ...after.map((l) => `+${l}`),
    '',
  ].join('\n');
}

function filesOf(content: readonly unknown[] | null | undefined): ReportedFile[] {
  const files: ReportedFile[] = [];
  for (const item of content ?? []) {
    const asDiff = diff.safeParse(item);
    const asFile = embeddedFile.safeParse(item);
    const file = asDiff.success
      ? {
          name: `${path.basename(asDiff.data.path)}.diff`,
          content: unifiedDiff(asDiff.data.path, asDiff.data.oldText, asDiff.data.newText),
        }
      : asFile.success
        ? {
            name: path.basename(asFile.data.content.resource.uri) || 'file.txt',
            content: asFile.data.content.resource.text,
          }
        : undefined;
    if (file && file.content.length <= maxFileChars) files.push(file);
  }
  return files;
}

/**
 * Reads one `session/update` of `sessionId`. `titles` remembers each tool call's title, since an
 * update of a call may leave it out.
 */
export function readUpdate(params: unknown, sessionId: string, titles: Map<string, string>): ReadUpdate {
  const parsed = notification.safeParse(params);
  if (!parsed.success) return { kind: 'skipped', what: 'a session update without a session or a kind' };
  if (parsed.data.sessionId !== sessionId) return { kind: 'elsewhere' };
  const { update } = parsed.data;
  const kind = update.sessionUpdate;
  const unreadable = {
    kind: 'skipped',
    what: `a ${quoteKind(kind)} update fleetbot could not read`,
  } as const;
  switch (kind) {
    case 'agent_message_chunk': {
      const chunk = messageChunk.safeParse(update);
      if (!chunk.success) return unreadable;
      const { content } = chunk.data;
      return content.type === 'text'
        ? { kind: 'text', delta: content.text }
        : { kind: 'skipped', what: `a piece of the answer of type ${content.type}, which chats do not show` };
    }
    case 'tool_call': {
      const call = toolCall.safeParse(update);
      if (!call.success) return unreadable;
      titles.set(call.data.toolCallId, call.data.title);
      return {
        kind: 'step',
        step: { id: call.data.toolCallId, title: call.data.title, status: call.data.status ?? 'pending' },
        files: filesOf(call.data.content),
      };
    }
    case 'tool_call_update': {
      const call = toolCallUpdate.safeParse(update);
      if (!call.success) return unreadable;
      if (call.data.title) titles.set(call.data.toolCallId, call.data.title);
      return {
        kind: 'step',
        step: {
          id: call.data.toolCallId,
          title: titles.get(call.data.toolCallId) ?? 'a tool',
          status: call.data.status ?? 'in_progress',
        },
        files: filesOf(call.data.content),
      };
    }
    default:
      return unshownKinds.has(kind)
        ? { kind: 'unshown' }
        : { kind: 'skipped', what: `an update of kind "${quoteKind(kind)}" fleetbot does not know` };
  }
}

const quoteKind = (kind: string): string => kind.replace(/[^\w.-]/g, '').slice(0, 40);
