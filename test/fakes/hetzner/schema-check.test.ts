import { describe, expect, it } from 'vitest';
import { checkSchema, type CheckOptions, type Schema } from './schema-check.js';

const components: Record<string, Schema> = {
  labels: { type: 'object', additionalProperties: { type: 'string', pattern: '^[a-z]*$' } },
  ip: {
    type: 'object',
    properties: { ip: { type: 'string' }, blocked: { type: 'boolean' } },
    required: ['ip'],
  },
};
const options = (unknownProperties: CheckOptions['unknownProperties']): CheckOptions => ({
  unknownProperties,
  resolveRef: (ref) => {
    const schema = components[ref.replace('#/components/schemas/', '')];
    if (schema === undefined) throw new Error(ref);
    return schema;
  },
});
const check = (
  schema: Schema,
  value: unknown,
  unknown: CheckOptions['unknownProperties'] = 'everywhere',
): string[] => checkSchema(schema, value, options(unknown)).map((p) => `${p.kind} ${p.path} ${p.message}`);

const server: Schema = {
  type: 'object',
  required: ['name', 'status'],
  properties: {
    name: { type: 'string', maxLength: 5 },
    status: { type: 'string', enum: ['running', 'off'] },
    cores: { type: 'integer', minimum: 1 },
    labels: { $ref: '#/components/schemas/labels' },
    ipv4: { allOf: [{ $ref: '#/components/schemas/ip' }], nullable: true },
    volumes: { type: 'array', items: { type: 'integer' } },
  },
};

describe('checkSchema', () => {
  it('accepts a conforming value', () => {
    expect(
      check(server, {
        name: 'a',
        status: 'off',
        cores: 2,
        labels: { env: 'prod' },
        ipv4: { ip: '203.0.113.1' },
        volumes: [1, 2],
      }),
    ).toEqual([]);
  });

  it('reports required, type, enum, integer, length and minimum problems', () => {
    expect(check(server, { name: 'toolong', cores: 1.5, volumes: ['x'] })).toEqual([
      'invalid $.status is required',
      'invalid $.name is longer than 5',
      'invalid $.cores expected integer, got number',
      'invalid $.volumes[0] expected integer, got string',
    ]);
    expect(check(server, { name: 'a', status: 'on', cores: 0 })).toEqual([
      'invalid $.status "on" is not one of running, off',
      'invalid $.cores is below 1',
    ]);
    expect(check(server, [])).toEqual(['invalid $ expected object, got array']);
  });

  it('follows $ref into additionalProperties patterns and allOf members', () => {
    expect(
      check(server, { name: 'a', status: 'off', labels: { env: 'PROD' }, ipv4: { blocked: 'no' } }),
    ).toEqual([
      'invalid $.labels.env does not match ^[a-z]*$',
      'invalid $.ipv4.ip is required',
      'invalid $.ipv4.blocked expected boolean, got string',
    ]);
  });

  it('honours nullable, including around allOf', () => {
    expect(check(server, { name: 'a', status: 'off', ipv4: null })).toEqual([]);
    expect(check(server, { name: null, status: 'off' })).toEqual(['invalid $.name is null but not nullable']);
  });

  it('reports unknown properties at the top level only for requests, everywhere for responses', () => {
    const value = { name: 'a', status: 'off', extra: 1, ipv4: { ip: 'x', nested: true } };

    expect(check(server, value, 'top-level')).toEqual(['unknown-property $.extra is not in the schema']);
    expect(check(server, value, 'everywhere')).toEqual([
      'unknown-property $.extra is not in the schema',
      'unknown-property $.ipv4.nested is not in the schema',
    ]);
  });

  it('treats an object schema without properties as free-form', () => {
    expect(check({ type: 'object', nullable: true }, { anything: [1] })).toEqual([]);
  });

  it('requires exactly one oneOf alternative and at least one anyOf alternative', () => {
    const id: Schema = { oneOf: [{ type: 'integer' }, { type: 'number' }] };
    const ref: Schema = { anyOf: [{ type: 'integer' }, { type: 'string' }] };

    expect(check(id, 1.5)).toEqual([]);
    expect(check(id, 1)).toEqual(['invalid $ matches 2 of the oneOf alternatives instead of exactly one']);
    expect(check(ref, 'cx23')).toEqual([]);
    expect(check(ref, true)).toEqual(['invalid $ matches none of the anyOf alternatives']);
  });
});
