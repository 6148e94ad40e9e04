import type { ProtocolModule } from '../core/conversations/protocol.js';
import type { ChatSections } from '../core/fleet/roles.js';
import { acpProtocol } from './acp/module.js';
import { openaiProtocol } from './openai/module.js';

/**
 * Every way fleetbot talks to an agent (a role's `chat.protocol`). A new protocol is a folder under
 * src/protocols with a module.ts, and one row here.
 */
export const protocolModules = [acpProtocol, openaiProtocol] as const;

/** The same list, for code that treats every protocol alike (it hands each its own parsed section). */
export const allProtocols: readonly ProtocolModule[] = protocolModules;

/** Each protocol's `chat` section of a role file, for loadRoles. */
export const chatSections: ChatSections = Object.fromEntries(
  protocolModules.map((m) => [m.name, { schema: m.chatSchema, needsDaemon: m.needsDaemon ?? false }]),
);
