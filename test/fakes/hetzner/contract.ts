import type { FakeReply, FakeRequest } from '../http/index.js';
import { HcloudError } from './errors.js';
import { labelKeyProblem } from './labels.js';
import {
  documentsStatus,
  queryParameterNames,
  requestSchema,
  resolveRef,
  responseSchema,
  type Operation,
} from './openapi.js';
import { checkSchema } from './schema-check.js';

export interface RequestVerdict {
  /** Mistakes to record: things the real API rejects or silently ignores. */
  violations: string[];
  /** Set when the real API would refuse the request outright. */
  error?: HcloudError;
  /** The JSON body when it is an object, otherwise empty. */
  body: Record<string, unknown>;
}

/** Holds a request to its operation in hcloud-openapi.json: query names, body schema, deprecations, labels. */
export function checkRequest(operation: Operation, request: FakeRequest): RequestVerdict {
  const violations: string[] = [];
  const knownQuery = queryParameterNames(operation);
  for (const name of new Set(request.query.keys())) {
    if (!knownQuery.has(name)) violations.push(`unknown query parameter '${name}' (the API ignores it)`);
  }
  const schema = requestSchema(operation);
  if (schema === undefined) return { violations, body: {} };

  let value: unknown = {};
  if (request.body.kind === 'invalid') {
    violations.push('request body is not valid JSON');
    return { violations, error: new HcloudError('json_error', 'invalid JSON input'), body: {} };
  }
  if (request.body.kind === 'json') value = request.body.value;
  else if (operation.requestBody?.required === true) violations.push('request body is missing');

  const invalid = new Map<string, string[]>();
  const reject = (field: string, message: string): void => {
    violations.push(`request body: ${message}`);
    invalid.set(field, [...(invalid.get(field) ?? []), message]);
  };
  for (const problem of checkSchema(schema, value, { resolveRef, unknownProperties: 'top-level' })) {
    if (problem.kind === 'unknown-property') {
      violations.push(`request body ${problem.path} is not in the schema (the API ignores it)`);
    } else {
      reject(topLevelField(problem.path), `${problem.path} ${problem.message}`);
    }
  }
  const body = isObject(value) ? value : {};
  const properties = (schema.$ref === undefined ? schema : resolveRef(schema.$ref)).properties ?? {};
  for (const name of Object.keys(body)) {
    if (properties[name]?.deprecated === true) violations.push(`request body field '${name}' is deprecated`);
  }
  if (isObject(body.labels)) {
    for (const key of Object.keys(body.labels)) {
      const problem = labelKeyProblem(key);
      if (problem !== undefined) reject('labels', problem);
    }
  }
  if (invalid.size === 0) return { violations, body };
  const fields = [...invalid].map(([name, messages]) => ({ name, messages }));
  const names = fields.map((f) => `'${f.name}'`).join(', ');
  const error = new HcloudError(
    'invalid_input',
    `invalid input in field${fields.length > 1 ? 's' : ''} ${names}`,
    {
      fields,
    },
  );
  return { violations, error, body };
}

/** What is wrong with a reply the fake is about to send, judged by the operation's documented responses. */
export function checkResponse(operation: Operation, reply: FakeReply): string[] {
  if (!documentsStatus(operation, reply.status)) return [`status ${reply.status} is not documented`];
  const schema = responseSchema(operation, reply.status);
  if (schema === undefined) {
    return reply.body === undefined ? [] : ['has a body although the spec documents none'];
  }
  if (reply.body === undefined) return ['has no body although the spec documents one'];
  // Judge what goes over the wire: JSON drops undefined-valued fields that the record may still carry.
  const wire = JSON.parse(JSON.stringify(reply.body)) as unknown;
  return checkSchema(schema, wire, { resolveRef, unknownProperties: 'everywhere' }).map(
    (p) => `${p.path} ${p.message}`,
  );
}

/** `$.public_net.ipv4` → `public_net`: the API reports invalid input per top-level field. */
function topLevelField(path: string): string {
  return /^\$\.([^.[]+)/.exec(path)?.[1] ?? 'body';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
