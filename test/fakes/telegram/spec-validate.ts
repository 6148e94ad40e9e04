import { isUploadedFile } from './multipart.js';
import type { UploadedFile } from './multipart.js';
import { spec } from './spec.js';
import type { SpecField, SpecMethod, SpecType } from './spec.js';

/**
 * One finding of the spec check. `fatal` findings are rejected with a 400 like the real server does;
 * the others (unknown fields, which Telegram silently drops) are only recorded, because a misspelt
 * optional field is a bug the real API would never tell the bot about.
 */
export interface SpecIssue {
  field: string;
  problem: string;
  description: string;
  fatal: boolean;
}

export interface ValidatedParams {
  params: Record<string, unknown>;
  issues: SpecIssue[];
}

interface Coerced {
  value: unknown;
  issues: SpecIssue[];
}

interface Context {
  files: ReadonlyMap<string, UploadedFile>;
  /** Top-level parameter the value belongs to; used to word nested errors the way the server does. */
  param: string;
  /** Form bodies carry nested objects as JSON strings; the server only decodes them at the top level. */
  topLevel: boolean;
}

/**
 * Parameters the current spec no longer lists but the server still honours. Old bots send them, so they are
 * accepted without a finding.
 */
const LEGACY_FIELDS: Record<string, { requires: string; field: SpecField }> = {
  reply_to_message_id: {
    requires: 'reply_parameters',
    field: { name: 'reply_to_message_id', types: ['Integer'], required: false, description: '' },
  },
  allow_sending_without_reply: {
    requires: 'reply_parameters',
    field: { name: 'allow_sending_without_reply', types: ['Boolean'], required: false, description: '' },
  },
  disable_web_page_preview: {
    requires: 'link_preview_options',
    field: { name: 'disable_web_page_preview', types: ['Boolean'], required: false, description: '' },
  },
};

/** Checks raw request parameters against the method's spec and converts them to typed values. */
export function validateParams(
  method: SpecMethod,
  raw: Record<string, unknown>,
  files: ReadonlyMap<string, UploadedFile>,
): ValidatedParams {
  const fields = new Map((method.fields ?? []).map((f) => [f.name, f]));
  for (const [name, legacy] of Object.entries(LEGACY_FIELDS)) {
    if (fields.has(legacy.requires)) fields.set(name, legacy.field);
  }

  const params: Record<string, unknown> = {};
  const issues: SpecIssue[] = [];
  for (const field of fields.values()) {
    // A file may also be uploaded directly as a part named after the parameter instead of via attach://.
    const value = raw[field.name] ?? files.get(field.name);
    // The server reads every parameter as a string first, so an empty form value counts as absent.
    if (value === undefined || value === null || value === '') {
      if (field.required) issues.push(missingParam(field.name));
      continue;
    }
    const result = coerceUnion(value, field.types, field.name, { files, param: field.name, topLevel: true });
    params[field.name] = result.value;
    issues.push(...result.issues);
  }
  for (const name of Object.keys(raw)) {
    if (!fields.has(name)) {
      issues.push({
        field: name,
        problem: `unknown parameter for ${method.name} (Telegram silently ignores it)`,
        description: '',
        fatal: false,
      });
    }
  }
  return { params, issues };
}

function missingParam(name: string): SpecIssue {
  const description =
    name === 'chat_id'
      ? 'Bad Request: chat_id is empty'
      : name === 'text'
        ? 'Bad Request: message text is empty'
        : `Bad Request: parameter "${name}" is required`;
  return { field: name, problem: 'required parameter is missing', description, fatal: true };
}

function coerceUnion(value: unknown, types: readonly string[], path: string, ctx: Context): Coerced {
  let best: Coerced | undefined;
  for (const type of types) {
    const result = coerceTo(value, type, path, ctx);
    if (result === undefined) continue;
    if (!result.issues.some((i) => i.fatal)) return result;
    if (best === undefined || score(result) < score(best)) best = result;
  }
  return best ?? { value, issues: [typeMismatch(value, types, path, ctx)] };
}

// For a union such as reply_markup, report the errors of the alternative the bot most likely meant.
function score(result: Coerced): number {
  return result.issues.reduce((sum, issue) => sum + (issue.fatal ? 1000 : 1), 0);
}

function coerceTo(value: unknown, type: string, path: string, ctx: Context): Coerced | undefined {
  const ok = (v: unknown): Coerced => ({ value: v, issues: [] });
  switch (type) {
    case 'Integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return ok(value);
      // JSON numbers and numeric strings are interchangeable on the wire: the server re-reads both as text.
      if (typeof value === 'string' && /^-?\d{1,16}$/.test(value.trim())) return ok(Number(value));
      return undefined;
    case 'Float':
      if (typeof value === 'number' && Number.isFinite(value)) return ok(value);
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return ok(Number(value));
      return undefined;
    case 'Boolean':
    case 'True':
      if (typeof value === 'boolean') return ok(value);
      if (ctx.topLevel && typeof value === 'string' && /^(true|false|1|0)$/i.test(value)) {
        return ok(/^(true|1)$/i.test(value));
      }
      return undefined;
    case 'String':
      if (typeof value === 'string') return ok(value);
      if (typeof value === 'number' && Number.isFinite(value)) return ok(String(value));
      return undefined;
    case 'InputFile':
      if (isUploadedFile(value)) return ok(value);
      if (typeof value === 'string' && value.startsWith('attach://')) {
        const file = ctx.files.get(value.slice('attach://'.length));
        return file === undefined ? undefined : ok(file);
      }
      return undefined;
  }

  if (type.startsWith('Array of ')) {
    const items = decodeJsonAtTopLevel(value, ctx);
    if (!Array.isArray(items)) return undefined;
    const elementType = type.slice('Array of '.length);
    const inner: Context = { ...ctx, topLevel: false };
    const results = items.map((item: unknown, i) => coerceUnion(item, [elementType], `${path}[${i}]`, inner));
    return { value: results.map((r) => r.value), issues: results.flatMap((r) => r.issues) };
  }

  const named = spec.types[type];
  if (named === undefined) return undefined;
  if (named.subtypes !== undefined) return coerceUnion(value, named.subtypes, path, ctx);
  const object = decodeJsonAtTopLevel(value, ctx);
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  return coerceObject(object as Record<string, unknown>, named, path, { ...ctx, topLevel: false });
}

function decodeJsonAtTopLevel(value: unknown, ctx: Context): unknown {
  if (!ctx.topLevel || typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function coerceObject(object: Record<string, unknown>, type: SpecType, path: string, ctx: Context): Coerced {
  // Types without fields (CallbackGame, ForumTopicClosed, ...) are empty placeholders: any object will do.
  if (type.fields === undefined) return { value: object, issues: [] };
  const out: Record<string, unknown> = {};
  const issues: SpecIssue[] = [];
  const known = new Set<string>();
  for (const field of type.fields) {
    known.add(field.name);
    const value = object[field.name];
    const fieldPath = `${path}.${field.name}`;
    if (value === undefined || value === null) {
      if (field.required) {
        issues.push({
          field: fieldPath,
          problem: `required field of ${type.name} is missing`,
          description: `Bad Request: can't parse ${ctx.param}: Can't find field "${field.name}"`,
          fatal: true,
        });
      }
      continue;
    }
    const result = coerceUnion(value, field.types, fieldPath, ctx);
    out[field.name] = result.value;
    issues.push(...result.issues);
    const literal = discriminator(type, field);
    if (literal !== undefined && result.value !== literal) {
      issues.push({
        field: fieldPath,
        problem: `${type.name}.${field.name} must be "${literal}", got ${preview(result.value)}`,
        description: `Bad Request: can't parse ${ctx.param}: unsupported ${field.name} "${String(result.value)}"`,
        fatal: true,
      });
    }
  }
  for (const [name, value] of Object.entries(object)) {
    if (known.has(name)) continue;
    out[name] = value;
    issues.push({
      field: `${path}.${name}`,
      problem: `unknown field of ${type.name} (Telegram silently ignores it)`,
      description: '',
      fatal: false,
    });
  }
  return { value: out, issues };
}

/**
 * Subtypes (BotCommandScopeChat, InputMediaDocument, ...) are told apart by a `type`/`status`/`source`
 * field whose description reads `must be chat` or `always "creator"`; that literal is the discriminator.
 */
function discriminator(type: SpecType, field: SpecField): string | undefined {
  if (type.subtype_of === undefined || !['type', 'status', 'source'].includes(field.name)) return undefined;
  return /(?:must be|always) "?([a-z_]+)"?/.exec(field.description)?.[1];
}

function typeMismatch(value: unknown, types: readonly string[], path: string, ctx: Context): SpecIssue {
  const expected = types.join(' or ');
  const name = path.split('.').pop() ?? path;
  return {
    field: path,
    problem: `expected ${expected}, got ${preview(value)}`,
    description:
      path === ctx.param
        ? `Bad Request: parameter "${path}" must be of type ${expected}`
        : `Bad Request: can't parse ${ctx.param}: Field "${name}" must be of type ${expected}`,
    fatal: true,
  };
}

function preview(value: unknown): string {
  if (isUploadedFile(value)) return `uploaded file "${value.fileName}"`;
  const json = JSON.stringify(value) ?? String(value);
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return `${kind} ${json.length > 60 ? `${json.slice(0, 57)}...` : json}`;
}
