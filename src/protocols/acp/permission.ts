import type {
  PermissionOption,
  RequestPermissionRequest,
  RequestPermissionResponse,
} from '@agentclientprotocol/sdk';
import type { PermissionChoice, PermissionRequest } from '../../core/conversations/protocol.js';
import { quote } from '../limits.js';

/** What each ACP option kind means to a person; both rejects are one Reject button. */
const choiceOf: Record<PermissionOption['kind'], PermissionChoice> = {
  allow_once: 'allow_once',
  allow_always: 'allow_always',
  reject_once: 'reject',
  reject_always: 'reject',
};

/** The request as a person sees it: the tool's title, what it names, and only the choices offered. */
export function permissionRequest(params: RequestPermissionRequest): PermissionRequest {
  const { toolCall, options } = params;
  const input = toolCall.rawInput;
  const named =
    toolCall.locations?.[0]?.path ??
    (typeof input === 'object' && input !== null
      ? (['command', 'path', 'file'] as const)
          .map((key) => (input as Record<string, unknown>)[key])
          .find((v): v is string => typeof v === 'string')
      : undefined);
  return {
    title: toolCall.title ?? 'use a tool',
    ...(named ? { detail: quote(named, 500) } : {}),
    offered: [...new Set(options.map((o) => choiceOf[o.kind]))],
  };
}

/**
 * The agent's own option for a person's choice (a once-reject before an always-reject, since a
 * person pressing Reject said no to this, not to everything like it); `cancelled` when the agent
 * offered no such option or the turn is being cancelled.
 */
export function permissionAnswer(
  params: RequestPermissionRequest,
  choice: PermissionChoice | 'cancelled',
): RequestPermissionResponse {
  const rank = (o: PermissionOption) => (o.kind === 'reject_always' ? 1 : 0);
  const option = [...params.options]
    .sort((a, b) => rank(a) - rank(b))
    .find((o) => choice !== 'cancelled' && choiceOf[o.kind] === choice);
  return { outcome: option ? { outcome: 'selected', optionId: option.optionId } : { outcome: 'cancelled' } };
}
