import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Dispatcher } from 'undici';
import { parse as parseYaml } from 'yaml';

/**
 * Every request fleetbot sends the Docker Engine, checked against the Engine's own published API
 * document (shared/specs/docker-engine-api-v1.41.yaml, Docker 20.10's `api/swagger.yaml`): the path
 * and method exist, each query parameter is one the operation declares with a value of its type, and
 * a JSON body matches the operation's schema with no field the document does not name (so a typo such
 * as `CapDorp` fails here instead of being ignored by dockerd).
 */
type Parameter = { name: string; in: string; type?: string; schema?: unknown; required?: boolean };
type Operation = { parameters?: Parameter[] };
type Spec = {
  basePath: string;
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, unknown>;
};

const specFile = path.resolve(import.meta.dirname, '../../../shared/specs/docker-engine-api-v1.41.yaml');

/** Objects that list their properties admit no others; `allOf` parts are seen together. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string')
      out[key] = value.replace('#/definitions/', 'engine#/definitions/');
    else if (key === 'x-nullable' || key === 'example') continue;
    else out[key] = closed(value);
  }
  const s = out as {
    properties?: unknown;
    additionalProperties?: unknown;
    type?: unknown;
    'x-nullable'?: unknown;
  };
  if (s.properties && s.additionalProperties === undefined) out['unevaluatedProperties'] = false;
  if ((schema as Record<string, unknown>)['x-nullable'] === true && typeof s.type === 'string')
    out['type'] = [s.type, 'null'];
  return out;
}

/** `allOf` members each close themselves, which would refuse the other members' fields: lift them. */
function openAllOfMembers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openAllOfMembers);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'allOf' && Array.isArray(value)
        ? value.map((member) => {
            const copy = { ...(openAllOfMembers(member) as Record<string, unknown>) };
            delete copy['unevaluatedProperties'];
            return copy;
          })
        : openAllOfMembers(value);
  }
  if (Array.isArray((schema as { allOf?: unknown }).allOf)) out['unevaluatedProperties'] = false;
  return out;
}

const typeCheck: Record<string, (v: string) => boolean> = {
  integer: (v) => /^-?\d+$/.test(v),
  number: (v) => !Number.isNaN(Number(v)),
  boolean: (v) => ['0', '1', 'true', 'false'].includes(v),
  string: () => true,
  array: () => true,
};

export type EngineSpecCheck = {
  /** Wraps a dispatcher so every request is checked before it is sent on. */
  dispatcher(inner: Dispatcher): Dispatcher;
  /** What did not match, one line per request; empty when every request did. */
  readonly violations: string[];
  /** How many requests were checked, so a test can see the check ran at all. */
  readonly checked: number;
};

/**
 * The document as Docker ships it has a double-quoted description folded onto a line no deeper than
 * its key, which YAML 1.2 parsers refuse: such lines are joined before parsing.
 */
const loadSpec = (): Spec =>
  parseYaml(readFileSync(specFile, 'utf8').replace(/(: "[^"\n]*)\n\s+([^"\n]*")/g, '$1 $2')) as Spec;

export function engineSpecCheck(): EngineSpecCheck {
  const spec = loadSpec();
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  // A definition that is a member of some `allOf` (HostConfig is Resources and more) stays open: its
  // fields are counted as seen by the `allOf` that closes the whole.
  const members = new Set<string>();
  const collect = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const allOf = (node as { allOf?: unknown }).allOf;
    if (Array.isArray(allOf))
      for (const member of allOf) {
        const ref = (member as { $ref?: unknown }).$ref;
        if (typeof ref === 'string') members.add(ref.replace('#/definitions/', ''));
      }
    for (const value of Object.values(node)) collect(value);
  };
  collect(spec);
  const definitions = Object.fromEntries(
    Object.entries(spec.definitions).map(([name, schema]) => {
      const done = openAllOfMembers(closed(schema)) as Record<string, unknown>;
      if (members.has(name)) delete done['unevaluatedProperties'];
      return [name, done];
    }),
  );
  ajv.addSchema({ definitions }, 'engine');
  const bodies = new Map<string, ValidateFunction>();
  const routes = Object.entries(spec.paths).map(([template, methods]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    methods,
  }));
  const violations: string[] = [];
  let checked = 0;

  const check = (method: string, fullPath: string, body: unknown): void => {
    checked++;
    const url = new URL(fullPath, 'http://docker');
    if (!url.pathname.startsWith(spec.basePath)) {
      violations.push(`${method} ${url.pathname}: not under ${spec.basePath}`);
      return;
    }
    const route = url.pathname.slice(spec.basePath.length);
    const match = routes.find((r) => r.pattern.test(route) && r.methods[method.toLowerCase()]);
    if (!match) {
      violations.push(`${method} ${route}: no such operation in Engine API ${spec.basePath}`);
      return;
    }
    const operation = match.methods[method.toLowerCase()]!;
    const params = operation.parameters ?? [];
    for (const [name, value] of url.searchParams) {
      const declared = params.find((p) => p.in === 'query' && p.name === name);
      if (!declared) violations.push(`${method} ${match.template}: unknown query parameter ${name}`);
      else if (declared.type && !typeCheck[declared.type]?.(value))
        violations.push(`${method} ${match.template}: ${name}=${value} is not a ${declared.type}`);
    }
    const bodyParam = params.find((p) => p.in === 'body');
    if (body === undefined) {
      if (bodyParam?.required) violations.push(`${method} ${match.template}: the body is required`);
      return;
    }
    if (!bodyParam) {
      violations.push(`${method} ${match.template}: takes no body`);
      return;
    }
    if (!Buffer.isBuffer(body) && typeof body !== 'string') return;
    const text = body.toString();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // A tar archive (an import, an upload): the document only says it is bytes.
      return;
    }
    const key = `${method} ${match.template}`;
    let validate = bodies.get(key);
    if (!validate) {
      validate = ajv.compile(openAllOfMembers(closed(bodyParam.schema)) as object);
      bodies.set(key, validate);
    }
    if (!validate(json))
      violations.push(
        `${key}: ${ajv.errorsText(validate.errors, { separator: '; ' })} in ${text.slice(0, 300)}`,
      );
  };

  return {
    dispatcher: (inner) =>
      inner.compose((dispatch) => (options, handler) => {
        check(options.method, options.path, options.body);
        return dispatch(options, handler);
      }),
    violations,
    get checked() {
      return checked;
    },
  };
}
