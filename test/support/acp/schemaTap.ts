import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';

type Side = 'agent' | 'client';
const schema = JSON.parse(readFileSync('../shared/specs/acp-schema-v1.json', 'utf8')) as {
  $defs: Record<string, { 'x-method'?: string }>;
};
const ajv = new Ajv2020({ strict: false, logger: false });
ajv.addSchema(schema, 'acp');
const envelope: Record<Side, ValidateFunction> = {
  agent: ajv.getSchema('acp#/anyOf/0')!,
  client: ajv.getSchema('acp#/anyOf/1')!,
};
// Each method's params and result, by the `x-method` the schema puts on its definitions.
const params = new Map<string, ValidateFunction>();
const results = new Map<string, ValidateFunction>();
for (const [name, def] of Object.entries(schema.$defs)) {
  const method = def['x-method'];
  if (method)
    (name.endsWith('Response') ? results : params).set(method, ajv.getSchema(`acp#/$defs/${name}`)!);
}

export type SchemaViolation = { from: Side; message: unknown; error: string };
type Message = { id?: string | number; method?: string; params?: unknown; result?: unknown };

/**
 * Checks every ACP message on a wire against the published schema (acp-schema-v1.json): the
 * envelope against the sender's side, a request's or notification's params against its method's
 * definition, a result against the definition of the method it answers. Lines that are not JSON
 * are the malformed-line case's business, not the schema's.
 */
export function schemaTap() {
  const violations: SchemaViolation[] = [];
  const seen: { from: Side; message: Message }[] = [];
  const pending = { agent: '', client: '' };
  const asked: Record<Side, Map<string | number, string>> = { agent: new Map(), client: new Map() };
  const fails = (validate: ValidateFunction | undefined, value: unknown): string | undefined =>
    validate && !validate(value) ? ajv.errorsText(validate.errors) : undefined;

  const checkOne = (from: Side, message: Message): void => {
    seen.push({ from, message });
    const other: Side = from === 'agent' ? 'client' : 'agent';
    let error = fails(envelope[from], message);
    if (!error && message.method) {
      error = fails(params.get(message.method), message.params);
      if (message.id !== undefined) asked[from].set(message.id, message.method);
    } else if (!error && message.id !== undefined && 'result' in message) {
      error = fails(results.get(asked[other].get(message.id) ?? ''), message.result);
    }
    if (error) violations.push({ from, message, error });
  };

  const check = (from: Side, chunk: Buffer | string): void => {
    pending[from] += chunk.toString();
    const lines = pending[from].split('\n');
    pending[from] = lines.pop() ?? '';
    for (const line of lines) {
      try {
        checkOne(from, JSON.parse(line) as Message);
      } catch {
        continue;
      }
    }
  };
  return { check, violations, seen };
}
