import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { Agent } from '../store/agents.js';
import type { Role } from './roles.js';

/** The variable an agent finds its chat token in, when its role's chat section asks for one. */
export const chatTokenVariable = 'FLEETBOT_CHAT_TOKEN';

const keyName = 'chat-token:key';

/** The store's own key for chat tokens: made at random once and kept, so tokens survive restarts. */
function tokenKey(store: Pick<Store, 'cursors'>): string {
  const kept = store.cursors.get(keyName);
  if (kept && /^[0-9a-f]{64}$/.test(kept)) return kept;
  const made = randomBytes(32).toString('hex');
  store.cursors.set(keyName, made);
  return made;
}

/**
 * The bearer token fleetbot sends an agent whose role says `chat.token: true` (an OpenAI-compatible
 * agent that checks who calls it). Derived from the store's key and the agent's record, so the deploy
 * that hands it over and every later conversation agree without the token being stored anywhere, and
 * a new agent of the same name gets another one. Undefined when the role asks for none.
 */
export function chatToken(store: Pick<Store, 'cursors'>, role: Role, agent: Agent): string | undefined {
  if (role.chat?.['token'] !== true) return undefined;
  return createHmac('sha256', tokenKey(store)).update(`${agent.id}:${agent.createdAt}`).digest('base64url');
}
