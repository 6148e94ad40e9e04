import { z } from 'zod';
import { levelRank, type Level } from './levels.js';

/** What an API key may do; the HTTP API and the MCP server check the scope a route or tool needs. */
export const apiScopes = ['agents:read', 'agents:deploy', 'agents:destroy', 'agents:chat', 'admin'] as const;
export type ApiScope = (typeof apiScopes)[number];

export const apiScopeSchema = z.enum(apiScopes, {
  error: (issue) => `"${String(issue.input).slice(0, 40)}" is not a scope. Scopes: ${apiScopes.join(', ')}.`,
});

/**
 * The least level that lets a person do what the scope allows, so a key passes the same level checks
 * as a person would: reading is what viewers do; deploying, destroy requests and talking to an agent
 * (a role's `chat.level` is operator unless it says otherwise) are an operator's; `admin` is admin.
 * The scopes still narrow it: a key with `agents:deploy` holds operator yet may not destroy.
 */
const levelOfScope: Record<ApiScope, Level> = {
  'agents:read': 'viewer',
  'agents:deploy': 'operator',
  'agents:destroy': 'operator',
  'agents:chat': 'operator',
  admin: 'admin',
};

/** The level a key acts with: the highest any of its scopes needs, and no more. */
export const levelOfScopes = (scopes: readonly ApiScope[]): Level =>
  scopes
    .map((s) => levelOfScope[s])
    .reduce<Level>((high, level) => (levelRank(level) > levelRank(high) ? level : high), 'viewer');
