import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyMessage, Stream } from '@agentclientprotocol/sdk';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * Checks every ACP message on a connection, both ways, against the public v1 JSON Schema
 * (`../shared/specs/acp-schema-v1.json`): the JSON-RPC envelope of the sending side, then the params of a
 * request or notification by its method, and the result of a response by the method of the request it
 * answers. The schema names each method's types with `x-method` and the side that handles it with
 * `x-side`, so the checks are read from the schema rather than listed here.
 */

export type Direction = 'agent→client' | 'client→agent';

export interface WireViolation {
  direction: Direction;
  /** The method, or `response to <method>`. */
  what: string;
  message: unknown;
  errors: string[];
}

export interface AcpWireCheck {
  /** The stream to hand to the SDK; messages pass through unchanged. */
  readonly stream: Stream;
  readonly transcript: Array<{ direction: Direction; message: AnyMessage }>;
  readonly violations: WireViolation[];
}

const specPath = join(import.meta.dirname, '..', '..', '..', 'shared', 'specs', 'acp-schema-v1.json');

interface Validators {
  envelope: Record<Direction, ValidateFunction>;
  /** Params of a request or notification, by method. */
  params: Map<string, ValidateFunction>;
  /** Result of a successful response, by the method of the request. */
  result: Map<string, ValidateFunction>;
}

let cached: Validators | undefined;

function validators(): Validators {
  if (cached !== undefined) return cached;
  const schema = JSON.parse(readFileSync(specPath, 'utf8')) as {
    $defs: Record<string, { 'x-method'?: string }>;
  };
  // strict off: the schema carries `x-method`, `x-side` and `discriminator` annotations Ajv does not know.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const [format, check] of Object.entries(numberFormats))
    ajv.addFormat(format, { type: 'number', validate: check });
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  ajv.addSchema(schema, 'acp');
  const compile = (pointer: string): ValidateFunction => ajv.compile({ $ref: `acp#${pointer}` });
  const params = new Map<string, ValidateFunction>();
  const result = new Map<string, ValidateFunction>();
  for (const [name, def] of Object.entries(schema.$defs)) {
    const method = def['x-method'];
    if (method === undefined) continue;
    (name.endsWith('Response') ? result : params).set(method, compile(`/$defs/${name}`));
  }
  cached = {
    envelope: { 'agent→client': compile('/anyOf/0'), 'client→agent': compile('/anyOf/1') },
    params,
    result,
  };
  return cached;
}

const numberFormats: Record<string, (n: number) => boolean> = {
  int32: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  int64: Number.isSafeInteger,
  uint16: (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 16,
  uint32: (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32,
  uint64: (n) => Number.isSafeInteger(n) && n >= 0,
  double: Number.isFinite,
};

export function checkAcpWire(raw: Stream): AcpWireCheck {
  const v = validators();
  const transcript: AcpWireCheck['transcript'] = [];
  const violations: WireViolation[] = [];
  // Request ids are per sender: the agent's id 0 and the client's id 0 are different requests.
  const asked: Record<Direction, Map<string, string>> = {
    'agent→client': new Map(),
    'client→agent': new Map(),
  };

  function check(direction: Direction, message: AnyMessage): void {
    transcript.push({ direction, message });
    const fail = (what: string, errors: ErrorObject[] | null | undefined): void => {
      violations.push({ direction, what, message, errors: describe(errors) });
    };
    const m = message as { id?: string | number | null; method?: string; params?: unknown; result?: unknown };
    if (typeof m.method === 'string') {
      if (!v.envelope[direction](message)) fail(m.method, v.envelope[direction].errors);
      if (m.id !== undefined && m.id !== null) asked[direction].set(String(m.id), m.method);
      const params = v.params.get(m.method);
      // Extension methods (`_vendor/...`) have no schema beyond the envelope.
      if (params !== undefined && !params(m.params)) fail(m.method, params.errors);
      return;
    }
    if (!v.envelope[direction](message)) fail('response', v.envelope[direction].errors);
    const other: Direction = direction === 'agent→client' ? 'client→agent' : 'agent→client';
    const method = asked[other].get(String(m.id));
    if (method === undefined) {
      violations.push({
        direction,
        what: 'response',
        message,
        errors: [`answers no request with id ${String(m.id)}`],
      });
      return;
    }
    asked[other].delete(String(m.id));
    const result = v.result.get(method);
    if ('result' in m && result !== undefined && !result(m.result))
      fail(`response to ${method}`, result.errors);
  }

  const tap = (direction: Direction): TransformStream<AnyMessage, AnyMessage> =>
    new TransformStream({
      transform(message, controller) {
        check(direction, message);
        controller.enqueue(message);
      },
    });
  const outgoing = tap('client→agent');
  void outgoing.readable.pipeTo(raw.writable).catch(() => undefined);
  return {
    stream: { readable: raw.readable.pipeThrough(tap('agent→client')), writable: outgoing.writable },
    transcript,
    violations,
  };
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}
