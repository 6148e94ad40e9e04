/** Why this Node.js cannot run fleetbot, in one line, or undefined when it can. */
export function nodeVersionProblem(found: string, engines: string): string | undefined;
