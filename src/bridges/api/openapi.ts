import { z } from 'zod';
import type { Operation } from '../../core/api/operations.js';
import { pathParams } from './input.js';
import { problemMediaType, problemSchema, problemStatuses } from './problem.js';

type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12 whose named parts (`.meta({id})`) become shared components:
 * each lands in `components` and is referred to from there.
 */
function schemaFor(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  const moved = JSON.parse(
    JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  Object.assign(components, moved.$defs);
  delete moved.$defs;
  delete moved.$schema;
  return moved;
}

const problemResponse = { $ref: '#/components/responses/Problem' };

function operationObject(
  op: Operation & { http: NonNullable<Operation['http']> },
  components: Record<string, JsonSchema>,
) {
  const input = schemaFor(op.input, 'input', components) as JsonSchema & {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  const inPath = pathParams(op.http.path);
  const properties = input.properties ?? {};
  const required = new Set(input.required ?? []);
  const rest = Object.keys(properties).filter((k) => !inPath.includes(k));
  const asQuery = op.http.method === 'GET';
  const param = (name: string, where: 'path' | 'query') => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(properties[name]?.description ? { description: properties[name].description } : {}),
    schema: properties[name],
  });
  const parameters = [
    ...inPath.map((n) => param(n, 'path')),
    ...(asQuery ? rest.map((n) => param(n, 'query')) : []),
    ...(op.http.sse && op.http.method === 'GET'
      ? [
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'Resume after this event: the id of the last event received',
            schema: { type: 'string' },
          },
        ]
      : []),
    ...(op.command === 'deploy'
      ? [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              'Retry safely: the same key with the same body within 24 hours answers the first response again; with another body it is refused (422)',
            schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
          },
        ]
      : []),
  ];
  const bodySchema = {
    type: 'object',
    properties: Object.fromEntries(rest.map((k) => [k, properties[k]])),
    required: rest.filter((k) => required.has(k)),
    additionalProperties: false,
  };
  const output = schemaFor(op.output, 'output', components);
  const success = op.http.sse
    ? {
        description: `Server-Sent Events; the last one, \`end\`, carries ${op.command === 'jobs' ? 'the job record' : 'the outcome'}`,
        content: { 'text/event-stream': { schema: { type: 'string' } } },
        'x-end-event': output,
      }
    : { description: op.summary, content: { 'application/json': { schema: output } } };
  return {
    operationId: op.name,
    summary: op.summary,
    ...(parameters.length ? { parameters } : {}),
    ...(!asQuery && rest.length
      ? { requestBody: { required: true, content: { 'application/json': { schema: bodySchema } } } }
      : {}),
    responses: {
      [String(op.http.status)]: success,
      ...Object.fromEntries(problemStatuses.map((s) => [String(s), problemResponse])),
    },
  };
}

/** The OpenAPI 3.1 document of the routes, made from the same operations and schemas they run on. */
export function openApiDocument(operations: readonly Operation[], version: string): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    if (!op.http) continue;
    paths[op.http.path] = {
      ...paths[op.http.path],
      [op.http.method.toLowerCase()]: operationObject({ ...op, http: op.http }, components),
    };
  }
  // A schema with an id lands in the components and is referred to, which is all the problem needs.
  schemaFor(problemSchema, 'output', components);
  return {
    openapi: '3.1.0',
    info: {
      title: 'fleetbot',
      version,
      description:
        'Deploy, watch and talk to AI agents with a scoped API key (/keys create in a private chat with the bot). Every call goes through the same permissions, audit, rate limits and approval cards as chat.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths: {
      '/v1/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'OpenAPI 3.1',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      ...paths,
    },
    components: {
      schemas: components,
      responses: {
        Problem: {
          description: 'RFC 9457 problem details',
          content: { [problemMediaType]: { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer fbk_…' },
      },
    },
  };
}
