import type { z } from 'zod';
import type { CommandSpec } from './command.js';

type RawIssue = z.core.$ZodRawIssue;

/** How a person types the argument a schema path names: `--role`, `-n` or `<name>`. */
function typed(spec: Pick<CommandSpec, 'flags'>, key: PropertyKey | undefined): string {
  if (typeof key !== 'string') return 'The arguments';
  const flag = spec.flags?.[key];
  if (flag) return flag.short === key ? `-${key}` : `--${key}`;
  return `<${key}>`;
}

const kinds: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'on or off',
  array: 'a list of words',
};

/** A limit in words, by what it limits: characters of a text, words of a list, or a number. */
const bound = (origin: string, side: 'least' | 'most', limit: unknown): string =>
  origin === 'string'
    ? `must be at ${side} ${String(limit)} characters`
    : origin === 'array'
      ? `${side === 'least' ? 'needs' : 'takes'} at ${side} ${String(limit)}`
      : `must be at ${side} ${String(limit)}`;

function rule(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is missing' : `must be ${kinds[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return bound(issue.origin, 'least', issue.minimum);
    case 'too_big':
      return bound(issue.origin, 'most', issue.maximum);
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `include ones this command does not take (${issue.keys.join(', ')})`;
    default:
      return 'is not valid here';
  }
}

/**
 * Words for the checks a command's schema states without a message of its own (zod's defaults, such as
 * "expected number, received NaN", mean nothing to a person): which argument, as they type it, and
 * what it must be. A schema's own messages still win.
 */
export const argumentWords =
  (spec: Pick<CommandSpec, 'flags'>) =>
  (issue: RawIssue): string =>
    `${typed(spec, issue.path?.[0])} ${rule(issue)}.`;
