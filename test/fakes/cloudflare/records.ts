import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { CfError, dnsValidationError, invalidBody } from './envelope.js';

const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'CAA'] as const;

const RecordFields = z
  .object({
    type: z.enum(RECORD_TYPES),
    name: z.string().min(1),
    content: z.string(),
    ttl: z.number().int(),
    proxied: z.boolean(),
    comment: z.string().nullable(),
    tags: z.array(z.string()),
    priority: z.number().int().min(0).max(65535),
  })
  .partial();

export type RecordFields = z.infer<typeof RecordFields>;

const REQUIRED = ['type', 'name', 'content'] as const;
type Complete = RecordFields & Required<Pick<RecordFields, (typeof REQUIRED)[number]>>;

export interface DnsRecord {
  id: string;
  type: (typeof RECORD_TYPES)[number];
  /** Always a lower-case FQDN, whatever the client sent. */
  name: string;
  content: string;
  /** 1 means automatic. */
  ttl: number;
  proxied: boolean;
  comment: string | null;
  tags: string[];
  priority: number | undefined;
  createdOn: string;
  modifiedOn: string;
}

/**
 * Checks a record body's shape. `full` (create, PUT) needs type, name and content; `patch` needs nothing.
 * Shape mistakes are the client's, so each is also recorded as a violation.
 */
export function parseRecordBody(
  body: unknown,
  mode: 'full' | 'patch',
  violation: (p: string) => void,
): RecordFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    violation('request body is not a JSON object');
    throw invalidBody();
  }
  for (const key of Object.keys(body)) {
    if (!(key in RecordFields.shape)) violation(`unknown field '${key}' (Cloudflare ignores it)`);
  }
  const parsed = RecordFields.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) violation(`field '${issue.path.join('.')}': ${issue.message}`);
    throw fieldError(String(parsed.error.issues[0]?.path[0]), (body as RecordFields).type);
  }
  if (mode === 'full') {
    const missing = REQUIRED.filter((field) => parsed.data[field] === undefined);
    for (const field of missing) violation(`missing required field '${field}'`);
    if (missing[0] !== undefined) throw fieldError(missing[0], parsed.data.type);
  }
  return parsed.data;
}

/** The zone's records, with the checks Cloudflare makes on content and on clashes between records. */
export class DnsZone {
  readonly records = new Map<string, DnsRecord>();

  constructor(
    readonly id: string,
    readonly name: string,
  ) {}

  get(id: string): DnsRecord {
    const record = this.records.get(id);
    if (record === undefined) throw new CfError(404, [{ code: 81044, message: 'Record does not exist.' }]);
    return record;
  }

  create(fields: RecordFields, now: number, violation: (p: string) => void): DnsRecord {
    const complete = this.#validated(fields, undefined, violation);
    const stamp = timestamp(now);
    const record: DnsRecord = {
      id: randomBytes(16).toString('hex'),
      ...complete,
      comment: fields.comment ?? null,
      tags: fields.tags ?? [],
      createdOn: stamp,
      modifiedOn: stamp,
    };
    this.records.set(record.id, record);
    return record;
  }

  /** PUT replaces every field (omitted optional ones reset); PATCH keeps what it does not mention. */
  update(
    id: string,
    fields: RecordFields,
    mode: 'full' | 'patch',
    now: number,
    violation: (p: string) => void,
  ): DnsRecord {
    const current = this.get(id);
    const base: RecordFields = mode === 'patch' ? current : {};
    const merged = { ...base, ...fields };
    const complete = this.#validated(merged, id, violation);
    Object.assign(current, complete, {
      comment: merged.comment ?? null,
      tags: merged.tags ?? [],
      modifiedOn: timestamp(now),
    });
    return current;
  }

  delete(id: string): void {
    this.get(id);
    this.records.delete(id);
  }

  /**
   * Names come back as FQDNs: `@` is the apex and a name outside the zone gets the zone appended, as
   * Cloudflare does. Both still mark a client that should have sent the FQDN itself.
   */
  fqdn(name: string, violation: (p: string) => void): string {
    const lower = name.toLowerCase().replace(/\.$/, '');
    if (lower === this.name || lower.endsWith(`.${this.name}`)) return lower;
    violation(`record name '${name}' is not a FQDN inside ${this.name}`);
    return lower === '@' ? this.name : `${lower}.${this.name}`;
  }

  #validated(
    fields: RecordFields,
    selfId: string | undefined,
    violation: (p: string) => void,
  ): Pick<DnsRecord, 'type' | 'name' | 'content' | 'ttl' | 'proxied' | 'priority'> {
    const { type, name, content } = fields as Complete;
    if ((type === 'A' && !isIPv4(content)) || (type === 'AAAA' && !isIPv6(content))) {
      throw fieldError('content', type);
    }
    const ttl = fields.ttl ?? 1;
    if (ttl !== 1 && (ttl < 60 || ttl > 86400)) throw fieldError('ttl', type);
    const candidate = { type, name: this.fqdn(name, violation), content };
    const others = [...this.records.values()].filter((r) => r.id !== selfId && r.name === candidate.name);
    if (others.some((r) => r.type === type && r.content === content)) {
      throw new CfError(400, [{ code: 81058, message: 'An identical record already exists.' }]);
    }
    // A CNAME cannot share its name with anything, another CNAME included.
    if (others.some((r) => r.type === 'CNAME' || type === 'CNAME')) {
      throw new CfError(400, [
        { code: 81053, message: 'An A, AAAA, or CNAME record with that host already exists.' },
      ]);
    }
    return { ...candidate, ttl, proxied: fields.proxied ?? false, priority: fields.priority };
  }
}

export function renderRecord(record: DnsRecord): unknown {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    content: record.content,
    proxiable: record.type === 'A' || record.type === 'AAAA' || record.type === 'CNAME',
    proxied: record.proxied,
    ttl: record.ttl,
    ...(record.priority !== undefined && { priority: record.priority }),
    settings: {},
    meta: {},
    comment: record.comment,
    tags: record.tags,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

/**
 * The error per field. The outer 1004 and the IPv4 chain entry (9005) are confirmed by many clients; the other
 * chain codes follow the same family and are best guesses.
 */
function fieldError(field: string, type: string | undefined): CfError {
  switch (field) {
    case 'name':
      return dnsValidationError(9000, 'DNS name is invalid.');
    case 'type':
      return dnsValidationError(9004, 'DNS record type is invalid.');
    case 'content':
      if (type === 'A') return dnsValidationError(9005, 'Content for A record must be a valid IPv4 address.');
      if (type === 'AAAA') {
        return dnsValidationError(9006, 'Content for AAAA record must be a valid IPv6 address.');
      }
      return dnsValidationError(9007, `Content for ${type ?? 'the'} record is invalid.`);
    case 'ttl':
      return dnsValidationError(
        9021,
        'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.',
      );
    default:
      return invalidBody();
  }
}

/** Cloudflare's timestamps carry microseconds. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}
