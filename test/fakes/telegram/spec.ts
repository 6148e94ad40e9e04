import { readFileSync } from 'node:fs';

/**
 * The scraped Bot API description (see /work/shared/specs/README.md). It lives outside the repo so every fake
 * and every test reads the same version; a missing file should fail loudly at import time.
 */
const SPEC_URL = new URL('../../../../shared/specs/telegram-bot-api.json', import.meta.url);

export interface SpecField {
  name: string;
  types: string[];
  required: boolean;
  description: string;
}

export interface SpecMethod {
  name: string;
  fields?: SpecField[];
}

export interface SpecType {
  name: string;
  fields?: SpecField[];
  subtypes?: string[];
  subtype_of?: string[];
}

export interface BotApiSpec {
  version: string;
  methods: Record<string, SpecMethod>;
  types: Record<string, SpecType>;
}

export const spec = JSON.parse(readFileSync(SPEC_URL, 'utf8')) as BotApiSpec;

// The real server lowercases method names before the lookup, so `SENDMESSAGE` works too.
const methodsByLowerName = new Map(Object.values(spec.methods).map((m) => [m.name.toLowerCase(), m]));

export function findMethod(name: string): SpecMethod | undefined {
  return methodsByLowerName.get(name.toLowerCase());
}
