import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { sdkMethods } from './sdkMethods.js';

// The public Slack Web API spec (OpenAPI 2) every call the bot makes is checked against.
const specPath = new URL('../../../../shared/specs/slack-web-openapi.json', import.meta.url);

const parameter = z.object({ name: z.string(), in: z.string(), required: z.boolean().optional() });
const operation = z.object({ parameters: z.array(parameter).default([]) });
const spec = z.object({ paths: z.record(z.string(), z.record(z.string(), operation)) });

export type MethodSpec = {
  name: string;
  args: Map<string, { required: boolean }>;
  /** For methods the spec snapshot lacks: their arguments' types, from the SDK (sdkMethods.ts). */
  schema?: z.ZodObject;
};

const methods = new Map<string, MethodSpec>();
for (const [path, ops] of Object.entries(spec.parse(JSON.parse(readFileSync(specPath, 'utf8'))).paths)) {
  const args = new Map<string, { required: boolean }>();
  for (const op of Object.values(ops))
    for (const p of op.parameters) if (p.in !== 'header') args.set(p.name, { required: p.required === true });
  methods.set(path.slice(1), { name: path.slice(1), args });
}

// Socket Mode's method came after this snapshot of the spec; its contract is from docs.slack.dev
// (apps.connections.open: no arguments, app-level token).
methods.set('apps.connections.open', { name: 'apps.connections.open', args: new Map() });

for (const [name, schema] of Object.entries(sdkMethods)) {
  const args = new Map(
    Object.entries(schema.shape).map(([arg, type]) => [
      arg,
      { required: !(type as z.ZodType).safeParse(undefined).success },
    ]),
  );
  methods.set(name, { name, args, schema });
}

export const findMethod = (name: string): MethodSpec | undefined => methods.get(name);

/** Problems with a call's arguments: missing required ones, and ones the method does not take. */
export function checkArgs(method: MethodSpec, args: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, a] of method.args)
    if (a.required && (args[name] === undefined || args[name] === ''))
      problems.push(`missing required ${name}`);
  for (const name of Object.keys(args))
    if (!method.args.has(name)) problems.push(`${name} is not an argument of ${method.name}`);
  // Missing and unknown arguments are reported above; the schema adds what is wrong with the rest.
  const typed = method.schema?.safeParse(args);
  for (const issue of typed?.success === false ? typed.error.issues : []) {
    const given = issue.path.length > 0 && args[String(issue.path[0])] !== undefined;
    if (issue.code !== 'unrecognized_keys' && given)
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  return problems;
}
