import { readFileSync } from 'node:fs';
import type { Schema } from './schema-check.js';

/**
 * Hetzner's own OpenAPI description (see /work/shared/specs/README.md). It lives outside the repo so every
 * fake and test reads the same version; a missing file should fail loudly at import time.
 */
const SPEC_URL = new URL('../../../../shared/specs/hcloud-openapi.json', import.meta.url);

interface MediaType {
  schema?: Schema;
}

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const spec = JSON.parse(readFileSync(SPEC_URL, 'utf8')) as OpenApiDocument;

/** The operation for a route template written exactly as the spec's path keys, e.g. `/servers/{id}`. */
export function findOperation(method: string, template: string): Operation | undefined {
  return spec.paths[template]?.[method.toLowerCase()];
}

export function resolveRef(ref: string): Schema {
  const name = ref.replace(/^#\/components\/schemas\//, '');
  const schema = spec.components.schemas[name];
  if (schema === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return schema;
}

export function requestSchema(operation: Operation): Schema | undefined {
  return operation.requestBody?.content?.['application/json']?.schema;
}

/** The spec keys responses by exact status or by class (`4xx`); the exact one wins. */
export function responseSchema(operation: Operation, status: number): Schema | undefined {
  const response = operation.responses[String(status)] ?? operation.responses[statusClass(status)];
  return response?.content?.['application/json']?.schema;
}

/** Whether the spec documents this status at all, exactly or by class. */
export function documentsStatus(operation: Operation, status: number): boolean {
  return String(status) in operation.responses || statusClass(status) in operation.responses;
}

function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export function queryParameterNames(operation: Operation): Set<string> {
  return new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
}
