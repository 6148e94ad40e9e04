import { stripControls } from '../chat/text.js';
import type { FlagSpec } from './command.js';

export const maxCommandLength = 4096;

export type CommandLine = { name: string; botName?: string; tokens: string[] };
export type ParseResult =
  { ok: true; line: CommandLine } | { ok: false; error: string } | { ok: false; notCommand: true };

// Phones turn straight quotes into curly ones; people mean the same thing.
const quoteFolds: Record<string, string> = { '“': '"', '”': '"', '„': '"', '‘': "'", '’': "'" };

/** Splits on whitespace, honouring "double" and 'single' quotes and backslash escapes in double quotes. */
export function tokenize(input: string): { ok: true; tokens: string[] } | { ok: false; error: string } {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const raw = input[i]!;
    const ch = quoteFolds[raw] ?? raw;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < input.length) current += input[++i];
      else current += raw;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += raw;
      inToken = true;
    }
  }
  if (quote) return { ok: false, error: `A ${quote} quote is not closed.` };
  if (inToken) tokens.push(current);
  return { ok: true, tokens };
}

/**
 * Parses `/cmd args`, `/cmd@botname args`; anything not starting with / is not a command.
 * `wordsBeforeText` names commands whose last argument is free text (a prompt): it says how many
 * words come before it; the rest of the line is then one token, as typed (quotes and apostrophes
 * are prose there, not syntax).
 */
export function parseCommandLine(
  text: string,
  wordsBeforeText: (name: string) => number | undefined = () => undefined,
): ParseResult {
  if (text.length > maxCommandLength) {
    return {
      ok: false,
      error: `That message is too long for a command (${text.length} characters; the limit is ${maxCommandLength}).`,
    };
  }
  // Control characters never belong in a command and could garble logs or terminals.
  const cleaned = stripControls(text.trim());
  const head = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)/.exec(cleaned);
  if (!head) {
    if (!cleaned.startsWith('/')) return { ok: false, notCommand: true };
    return {
      ok: false,
      error: 'That is not a command I understand. Commands look like /deploy swe alice; see /help.',
    };
  }
  const name = head[1]!.toLowerCase();
  const args = cleaned.slice(head[0].length);
  const words = wordsBeforeText(name);
  const rest = words === undefined ? tokenize(args) : { ok: true as const, tokens: splitText(args, words) };
  if (!rest.ok) return { ok: false, error: `${rest.error} Wrap arguments with spaces in matching quotes.` };
  return { ok: true, line: { name, ...(head[2] ? { botName: head[2] } : {}), tokens: rest.tokens } };
}

/**
 * The first `words` words, then `--` (so the text is never read as options) and the rest as typed,
 * trimmed, with its line breaks kept.
 */
function splitText(args: string, words: number): string[] {
  const tokens: string[] = [];
  let rest = args.trimStart();
  while (tokens.length < words && rest !== '') {
    const word = /^\S+/.exec(rest)![0];
    tokens.push(word);
    rest = rest.slice(word.length).trimStart();
  }
  rest = rest.trimEnd();
  return rest === '' ? tokens : [...tokens, '--', rest];
}

/**
 * Binds tokens to a command's positional names (`name?` is optional; a last `name...` takes the rest
 * as a list, absent when there is none) and flags; the command's zod schema then checks values.
 */
export function bindArgs(
  tokens: string[],
  spec: { positional: string[]; flags?: Record<string, FlagSpec> },
): { ok: true; values: Record<string, unknown> } | { ok: false; error: string } {
  const flags = spec.flags ?? {};
  const byShort = new Map(
    Object.entries(flags).flatMap(([name, f]) => (f.short ? [[f.short, name] as const] : [])),
  );
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let flagsDone = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (flagsDone || !token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      flagsDone = true;
      continue;
    }
    const eq = token.indexOf('=');
    const rawName = (eq === -1 ? token : token.slice(0, eq)).replace(/^--?/, '');
    const name = token.startsWith('--') ? rawName : (byShort.get(rawName) ?? rawName);
    const flag = flags[name];
    if (!flag) {
      const known = Object.keys(flags).map((f) => `--${f}`);
      return {
        ok: false,
        error: `Unknown option ${token.slice(0, 40)}.${known.length ? ` Options: ${known.join(', ')}.` : ''}`,
      };
    }
    if (name in values) return { ok: false, error: `Option --${name} is given twice.` };
    if (flag.type === 'boolean') {
      if (eq !== -1) return { ok: false, error: `Option --${name} takes no value.` };
      values[name] = true;
    } else if (eq !== -1) {
      values[name] = token.slice(eq + 1);
    } else {
      const next = tokens[i + 1];
      if (next === undefined) return { ok: false, error: `Option --${name} needs a value.` };
      values[name] = next;
      i++;
    }
  }
  const last = spec.positional.at(-1);
  const rest = last?.endsWith('...') ? last.slice(0, -3) : undefined;
  const single = rest === undefined ? spec.positional : spec.positional.slice(0, -1);
  if (rest === undefined && positionals.length > single.length) {
    const extra = positionals.slice(single.length).join(' ');
    return { ok: false, error: `Too many arguments: ${extra.slice(0, 60)}${extra.length > 60 ? '…' : ''}.` };
  }
  const missing = single.slice(positionals.length).filter((name) => !name.endsWith('?'));
  if (missing.length > 0) return { ok: false, error: `Missing ${missing.map((m) => `<${m}>`).join(' ')}.` };
  positionals.slice(0, single.length).forEach((value, i) => (values[single[i]!.replace(/\?$/, '')] = value));
  if (rest !== undefined && positionals.length > single.length)
    values[rest] = positionals.slice(single.length);
  return { ok: true, values };
}
