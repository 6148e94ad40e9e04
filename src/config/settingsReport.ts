import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import type { Env, Variables } from './variables.js';

/** Where a setting's value came from; `from` names the file for all but the environment and defaults. */
export type SettingSource =
  | { kind: 'environment' }
  | { kind: 'env file'; from: string }
  | { kind: 'secret file'; from: string }
  | { kind: 'credential'; from: string }
  | { kind: 'default' };

/** One variable as `fleetbot config` shows it: a secret only as set or unset, never its value. */
export type ResolvedSetting =
  | { name: string; secret: false; value: string | null; source: SettingSource }
  | { name: string; secret: true; set: boolean; source: SettingSource };

/**
 * The default a variable's schema gives, as written (`10m`, not 600000): found through the pipes
 * (transforms) around the `.default()`. Undefined for a variable with no default.
 */
function writtenDefault(schema: z.ZodType): unknown {
  const def = schema.def as { type: string; in?: z.ZodType; defaultValue?: unknown };
  if (def.type === 'default') return def.defaultValue;
  if (def.type === 'pipe' && def.in) return writtenDefault(def.in);
  return undefined;
}

const shownDefault = (value: unknown): string | null =>
  value === undefined || value === '' ? null : typeof value === 'string' ? value : JSON.stringify(value);

/** A secret given as a file: NAME_FILE, else a systemd credential, as `secretValue` reads them. */
function secretFileSource(name: string, env: Env): SettingSource | undefined {
  const file = env[`${name}_FILE`];
  if (file) return { kind: 'secret file', from: file };
  const credential = env.CREDENTIALS_DIRECTORY && path.join(env.CREDENTIALS_DIRECTORY, name);
  if (credential && existsSync(credential)) return { kind: 'credential', from: credential };
  return undefined;
}

/**
 * Every variable's value and where it came from. `given` is the environment before the env file was
 * read, since the file never overrides it (process.loadEnvFile); `envFile` is the file read, if any.
 */
export function resolveSettings(
  variables: Variables,
  given: Env,
  envFile: string | undefined,
): ResolvedSetting[] {
  const fromFile: Env = envFile ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  const merged: Env = { ...fromFile, ...given };
  return Object.entries(variables).map(([name, variable]): ResolvedSetting => {
    const source: SettingSource = given[name]
      ? { kind: 'environment' }
      : envFile && fromFile[name]
        ? { kind: 'env file', from: envFile }
        : (variable.secret && secretFileSource(name, merged)) || { kind: 'default' };
    if (variable.secret) return { name, secret: true, set: source.kind !== 'default', source };
    const value = source.kind === 'default' ? shownDefault(writtenDefault(variable.schema)) : merged[name]!;
    return { name, secret: false, value, source };
  });
}
