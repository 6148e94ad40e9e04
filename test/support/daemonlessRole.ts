import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `scribe`: the reference agent's ACP side and nothing else, so it has no daemon and runs only when
 * spoken to. Its role file names no agent.command or port.
 */
export const scribeRole = `name: scribe
description: The reference agent's ACP side only; it runs when spoken to
agent:
  env:
    AGENT_MODEL: claude-sonnet-4
  secrets:
    - name: ANTHROPIC_API_KEY
      required: false
chat:
  protocol: acp
  command: [node, ../agent/acp.mjs]
providers:
  hetzner:
    serverType: cx23
    location: nbg1
    snapshot: fleetbot-swe
`;

/**
 * A roles folder in `dir` with the shipped roles and scribe, beside a copy of templates/agent (the
 * roles name ../agent/...). Returns the roles folder, for FLEETBOT_ROLES_DIR or loadRoles.
 */
export function rolesWithScribe(dir: string): string {
  const roles = path.join(dir, 'roles');
  mkdirSync(roles, { recursive: true });
  cpSync('templates/agent', path.join(dir, 'agent'), { recursive: true });
  cpSync('templates/roles', roles, { recursive: true });
  writeFileSync(path.join(roles, 'scribe.yaml'), scribeRole);
  return roles;
}
