// One escaper per format a template lands in. Each takes a validated value (a string, or a list of
// words) and returns text that the format reads back as exactly that value, or refuses it.

export type TemplateValue = string | string[];
export type Escaper = (value: TemplateValue, key: string) => string;

const refuseControl = (value: string, key: string, format: string): void => {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value))
    throw new Error(`${key}: control characters or line breaks cannot go into a ${format} file`);
};

/** JSON strings and arrays are valid YAML flow scalars and sequences, with every character escaped. */
export const yamlValue: Escaper = (value) => JSON.stringify(value);

/** POSIX single quotes: nothing inside is special; a quote is closed, escaped and reopened. */
export const shellWord = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;
export const shellValue: Escaper = (value) =>
  Array.isArray(value) ? value.map(shellWord).join(' ') : shellWord(value);

/**
 * systemd: `%` starts a specifier, `$` a variable in ExecStart, quotes and backslashes are syntax. A list
 * becomes quoted command-line words; a string is a plain setting value.
 */
export const systemdValue: Escaper = (value, key) => {
  const words = Array.isArray(value) ? value : [value];
  for (const word of words) refuseControl(word, key, 'systemd');
  if (!Array.isArray(value)) return value.replaceAll('%', '%%');
  return value
    .map(
      (w) =>
        `"${w.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%').replaceAll('$', '$$$$')}"`,
    )
    .join(' ');
};

/** Caddyfile tokens: plain when they are simple, otherwise a double-quoted token. */
export const caddyValue: Escaper = (value, key) => {
  if (Array.isArray(value)) return value.map((v) => caddyValue(v, key)).join(' ');
  refuseControl(value, key, 'Caddyfile');
  if (/^[A-Za-z0-9._:/-]+$/.test(value)) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
};

/**
 * nftables: a string is a bare word (a table name, a port), a list becomes quoted words for a set
 * (user names). Only plain characters pass, so nothing can close the set or start a statement.
 */
export const nftValue: Escaper = (value, key) => {
  const words = Array.isArray(value) ? value : [value];
  const odd = words.find((w) => !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(w));
  if (odd !== undefined) throw new Error(`${key}: ${JSON.stringify(odd)} cannot go into an nftables rule`);
  return Array.isArray(value) ? value.map((w) => `"${w}"`).join(', ') : value;
};

/**
 * Dockerfile: a line break ends an instruction, so none passes. A string is a bare argument of plain
 * characters (an image, a user, a path); a list becomes single-quoted shell words for a RUN line.
 */
export const dockerfileValue: Escaper = (value, key) => {
  const words = Array.isArray(value) ? value : [value];
  for (const word of words) refuseControl(word, key, 'Dockerfile');
  if (Array.isArray(value)) return shellValue(value, key);
  if (!/^[A-Za-z0-9._:/@-]+$/.test(value))
    throw new Error(`${key}: ${JSON.stringify(value)} cannot go into a Dockerfile unquoted`);
  return value;
};

/** systemd EnvironmentFile lines: double-quoted, with the characters special inside quotes escaped. */
export function envFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`${k}: not a valid environment variable name`);
      refuseControl(v, k, 'environment');
      return `${k}="${v.replace(/[\\"$`]/g, (c) => `\\${c}`)}"\n`;
    })
    .join('');
}
