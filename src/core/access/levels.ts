/**
 * Permission levels, lowest first: viewer (list, status, logs), operator (deploy, restart, destroy
 * requests), admin (people, images, alerts; approves anyone's destroy). Not to be confused with an
 * agent's role (src/core/fleet/roles.ts), which is the template an agent is deployed from.
 */
export const levels = ['viewer', 'operator', 'admin'] as const;
export type Level = (typeof levels)[number];

export const levelRank = (level: Level): number => levels.indexOf(level);
