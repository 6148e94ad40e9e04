import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { CommandSpec } from '../core/router/command.js';
import { agentStatuses } from '../core/fleet/agentFilter.js';

/** What completion can offer beyond the command table: read from the disk, never from a running bot. */
export type CompletionSources = {
  roles: () => string[];
  agents: () => string[];
  providers: readonly string[];
};

/** The words `fleetbot` itself takes before any chat command. */
const ownWords = ['start', 'doctor', 'pair', 'backup', 'mcp', 'completion', 'help', '--version'];
/** What the one-shot adds to every chat command (src/cli/oneShot.ts). */
const oneShotFlags = ['--json', '--yes'];

const bare = (positional: string): string => positional.replace(/[?.]+$/, '');

/**
 * The candidates for the last of `words` (the words after `fleetbot`, the last one being typed, maybe
 * empty): commands, then a command's flags, its flags' values and its positionals (roles; the agent a
 * command acts on is its first word, `name`).
 */
export function complete(
  words: readonly string[],
  commands: readonly CommandSpec[],
  sources: CompletionSources,
): string[] {
  const current = words.at(-1) ?? '';
  const starting = (candidates: readonly string[]) => candidates.filter((c) => c.startsWith(current));
  const usable = commands.filter((c) => !c.public);
  if (words.length <= 1) return starting([...new Set([...ownWords, ...usable.map((c) => c.name)])]);
  const [first, ...after] = words;
  if (first === 'completion') return words.length === 2 ? starting(['bash', 'zsh', 'fish']) : [];
  if (first === 'mcp') return starting(['--read-only']);
  const spec = usable.find((c) => c.name === first);
  if (!spec) return [];
  const flags = spec.flags ?? {};
  const typed = after.slice(0, -1);
  const previous = typed.at(-1);
  const flagName = previous?.startsWith('-') ? previous.replace(/^--?/, '') : undefined;
  if (flagName && flags[flagName]?.type === 'value') return starting(flagValues(flagName, sources));
  if (current.startsWith('-')) {
    const spelled = Object.entries(flags).map(([name, f]) => (f.short === name ? `-${name}` : `--${name}`));
    return starting([...spelled, ...oneShotFlags]);
  }
  let position = 0;
  for (let i = 0; i < typed.length; i++) {
    const word = typed[i]!;
    if (!word.startsWith('-')) position++;
    else if (flags[word.replace(/^--?/, '')]?.type === 'value') i++;
  }
  const positional = spec.positional[position];
  if (positional === undefined) return [];
  if (bare(positional) === 'role') return starting(sources.roles());
  if (bare(positional) === 'name' && position === 0) return starting(sources.agents());
  return [];
}

function flagValues(flag: string, sources: CompletionSources): readonly string[] {
  if (flag === 'role') return sources.roles();
  if (flag === 'provider') return sources.providers;
  if (flag === 'status') return agentStatuses;
  return [];
}

const roleName = z.object({ name: z.string() });

/** The names the role files in `dir` declare; a file that does not read is left out, not reported. */
export function roleNames(dir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    try {
      const parsed = roleName.safeParse(parseYaml(readFileSync(path.join(dir, file), 'utf8')));
      return parsed.success ? [parsed.data.name] : [];
    } catch {
      return [];
    }
  });
}

/** Whether the store exists yet: completion never creates one. */
export const storeExists = (dbPath: string): boolean => existsSync(dbPath);
