import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Operation } from '../../core/api/operations.js';

export type InputParts = { params: Record<string, string>; query: URLSearchParams; body: Buffer };

/** The JSON types of the input's fields, so text from a path or query string becomes them. */
export const fieldTypes = (op: Operation): Record<string, unknown> => {
  const schema = z.toJSONSchema(op.input, { io: 'input', unrepresentable: 'any' });
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.type]));
};

/** Text as the field's type when it reads as one; otherwise as given, for the schema to refuse. */
const converted = (type: unknown, text: string): unknown => {
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if ((type === 'integer' || type === 'number') && /^-?\d{1,15}(\.\d{1,15})?$/.test(text))
    return Number(text);
  return text;
};

export const pathParams = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/**
 * Path parameters, the query string and a JSON body together as the operation's input; a body must be
 * a JSON object and may not restate a path parameter. The caller checks the result with `op.input`.
 */
export function gatherInput(
  op: Operation,
  types: Record<string, unknown>,
  parts: InputParts,
): { ok: true; input: Record<string, unknown> } | { ok: false; detail: string } {
  // No prototype: a body's __proto__ is then a field like any other, which the strict schema refuses.
  const input: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (parts.body.length > 0) {
    let body: unknown;
    try {
      body = JSON.parse(parts.body.toString('utf8'));
    } catch {
      return { ok: false, detail: 'The body is not valid JSON.' };
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return { ok: false, detail: 'The body must be a JSON object.' };
    Object.assign(input, body);
  }
  for (const [key, value] of parts.query) {
    if (key in input) return { ok: false, detail: `${key.slice(0, 40)} is given twice.` };
    input[key] = converted(types[key], value);
  }
  for (const [key, value] of Object.entries(parts.params)) {
    if (key in input)
      return { ok: false, detail: `${key} is given by the path; leave it out of the request.` };
    input[key] = converted(types[key], value);
  }
  return { ok: true, input };
}

/** The one value of a request header, or undefined. */
export const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The token of `Authorization: Bearer <token>`; '' for none, which the router refuses as it should. */
export const bearerToken = (req: IncomingMessage): string =>
  /^Bearer +(\S+)\s*$/i.exec(header(req, 'authorization') ?? '')?.[1] ?? '';
