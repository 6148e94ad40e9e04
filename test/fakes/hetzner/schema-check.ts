/** The part of OpenAPI 3.0's schema language that hcloud-openapi.json uses. */
export interface Schema {
  $ref?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  pattern?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** Not a constraint; contract.ts reports deprecated request fields. */
  deprecated?: boolean;
}

export interface SchemaProblem {
  /** Where in the value, e.g. `$.public_net.ipv4`. */
  path: string;
  message: string;
  /**
   * `unknown-property` is kept apart because the real API ignores unknown fields: the fake records them as
   * violations but still serves the request, whereas an `invalid` value gets an error reply.
   */
  kind: 'invalid' | 'unknown-property';
}

export interface CheckOptions {
  resolveRef(ref: string): Schema;
  /** Requests are checked at the top level only (nested objects are often open); responses everywhere. */
  unknownProperties: 'top-level' | 'everywhere';
}

export function checkSchema(schema: Schema, value: unknown, options: CheckOptions): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  visit(schema, value, '$', { options, problems }, true);
  return problems;
}

interface Context {
  options: CheckOptions;
  problems: SchemaProblem[];
}

function visit(schema: Schema, value: unknown, path: string, ctx: Context, reportUnknown: boolean): void {
  const s = deref(schema, ctx);
  const invalid = (message: string): void => {
    ctx.problems.push({ path, message, kind: 'invalid' });
  };
  if (value === null) {
    if (!s.nullable && constrains(s)) invalid('is null but not nullable');
    return;
  }
  if (s.type !== undefined && !hasType(value, s.type)) {
    invalid(`expected ${s.type}, got ${describe(value)}`);
    return;
  }
  if (s.enum !== undefined && !s.enum.includes(value)) {
    invalid(`${JSON.stringify(value)} is not one of ${s.enum.join(', ')}`);
  }
  if (typeof value === 'string') {
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) invalid(`does not match ${s.pattern}`);
    if (s.maxLength !== undefined && value.length > s.maxLength) invalid(`is longer than ${s.maxLength}`);
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) invalid(`is below ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) invalid(`is above ${s.maximum}`);
  }
  const nestedUnknown = ctx.options.unknownProperties === 'everywhere';
  if (Array.isArray(value) && s.items !== undefined) {
    const items = s.items;
    value.forEach((item, i) => visit(items, item, `${path}[${i}]`, ctx, nestedUnknown));
  }
  if (isObject(value)) visitObject(s, value, path, ctx, reportUnknown);
  // Members of a composition each see only their own properties, so unknown ones are judged here, over all.
  for (const member of s.allOf ?? []) visit(member, value, path, ctx, false);
  if (s.oneOf !== undefined) {
    const count = matchingAlternatives(s.oneOf, value, ctx);
    if (count !== 1) invalid(`matches ${count} of the oneOf alternatives instead of exactly one`);
  }
  if (s.anyOf !== undefined && matchingAlternatives(s.anyOf, value, ctx) === 0) {
    invalid('matches none of the anyOf alternatives');
  }
}

function visitObject(
  s: Schema,
  value: Record<string, unknown>,
  path: string,
  ctx: Context,
  reportUnknown: boolean,
): void {
  const nestedUnknown = ctx.options.unknownProperties === 'everywhere';
  for (const name of s.required ?? []) {
    if (!(name in value)) {
      ctx.problems.push({ path: `${path}.${name}`, message: 'is required', kind: 'invalid' });
    }
  }
  const known = reportUnknown ? knownProperties(s, ctx) : undefined;
  for (const [name, child] of Object.entries(value)) {
    const childPath = `${path}.${name}`;
    const property = s.properties?.[name];
    if (property !== undefined) {
      visit(property, child, childPath, ctx, nestedUnknown);
    } else if (typeof s.additionalProperties === 'object') {
      visit(s.additionalProperties, child, childPath, ctx, nestedUnknown);
    } else if (known !== undefined && !known.has(name) && s.additionalProperties !== true) {
      ctx.problems.push({ path: childPath, message: 'is not in the schema', kind: 'unknown-property' });
    }
  }
}

/**
 * Property names declared by the schema or any schema it is composed of; undefined when nothing is declared,
 * because a bare `type: object` (such as error `details`) is free-form.
 */
function knownProperties(schema: Schema, ctx: Context): Set<string> | undefined {
  const s = deref(schema, ctx);
  const names = new Set(Object.keys(s.properties ?? {}));
  let declared = s.properties !== undefined || s.additionalProperties !== undefined;
  for (const member of [...(s.allOf ?? []), ...(s.oneOf ?? []), ...(s.anyOf ?? [])]) {
    const memberNames = knownProperties(member, ctx);
    if (memberNames === undefined) continue;
    declared = true;
    for (const name of memberNames) names.add(name);
  }
  return declared ? names : undefined;
}

function matchingAlternatives(alternatives: Schema[], value: unknown, ctx: Context): number {
  return alternatives.filter((alternative) => {
    const scratch: Context = { options: ctx.options, problems: [] };
    visit(alternative, value, '$', scratch, false);
    return scratch.problems.length === 0;
  }).length;
}

function deref(schema: Schema, ctx: Context): Schema {
  let s = schema;
  for (let hops = 0; s.$ref !== undefined; hops++) {
    if (hops > 32) throw new Error(`$ref cycle at ${schema.$ref}`);
    s = ctx.options.resolveRef(s.$ref);
  }
  return s;
}

/** An empty schema (only a description, say) accepts anything, null included. */
function constrains(s: Schema): boolean {
  return [s.type, s.enum, s.properties, s.items, s.allOf, s.oneOf, s.anyOf].some((k) => k !== undefined);
}

function hasType(value: unknown, type: NonNullable<Schema['type']>): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return Number.isInteger(value) ? 'integer' : typeof value;
}
