import { bindArgs, parseCommandLine } from '../core/router/commandLine.js';
import type { CommandSpec } from '../core/router/command.js';
import { closest } from '../core/router/didYouMean.js';
import type { CliStatus } from './outcome.js';

/**
 * A word as the chat's parser reads it back: bare, or in double quotes where it holds spaces, quotes
 * or backslashes, so each shell word stays one token (`fleetbot keys create ci "agents:read"`).
 */
const quoted = (word: string): string =>
  /^[^\s"'“”„‘’\\]+$/.test(word) ? word : `"${word.replace(/[\\"“”„]/g, '\\$&')}"`;

/**
 * The shell's words read as the chat reads `/deploy swe alice --provider local`: the same command-line
 * parser and the same binding to the command's positional names and flags, giving the arguments
 * `Router.call` checks with the command's schema. Free text (`fleetbot ask alice what is up`) is the
 * rest of the words as typed.
 */
export function callOfWords(
  words: readonly string[],
  commands: readonly CommandSpec[],
):
  | { ok: true; spec: CommandSpec; args: Record<string, unknown> }
  | { ok: false; status: Extract<CliStatus, 'invalid' | 'unknown_command'>; detail: string } {
  // Pairing is for people in a private chat; `fleetbot pair` prints a code instead.
  const usable = new Map(commands.filter((c) => !c.public).map((c) => [c.name, c]));
  const [name = '', ...rest] = words;
  const spec = usable.get(name.toLowerCase());
  const line = `/${name} ${spec?.freeText ? rest.join(' ') : rest.map(quoted).join(' ')}`;
  const parsed = parseCommandLine(line, () => (spec?.freeText ? spec.positional.length - 1 : undefined));
  if (!parsed.ok) {
    return { ok: false, status: 'invalid', detail: 'error' in parsed ? parsed.error : 'Not a command.' };
  }
  if (!spec) {
    const guess = closest(parsed.line.name, [...usable.keys()]);
    return {
      ok: false,
      status: 'unknown_command',
      detail: `There is no command ${parsed.line.name}.${guess ? ` Did you mean ${guess}?` : ''} The commands: ${[...usable.keys()].join(', ')}.`,
    };
  }
  const bound = bindArgs(parsed.line.tokens, spec);
  if (!bound.ok) return { ok: false, status: 'invalid', detail: `${bound.error} Usage: ${spec.usage}` };
  return { ok: true, spec, args: bound.values };
}
