import { PassThrough } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import { createApiBridge } from '../../src/bridges/api/index.js';
import { createConsoleBridge } from '../../src/bridges/console/index.js';
import { createApiKey } from '../../src/core/access/apiKeys.js';
import type { ApiScope } from '../../src/core/access/apiScopes.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import { createHttpServer, type HttpServer } from '../../src/core/runtime/httpServer.js';
import { createFleetbot, type Fleetbot } from '../../src/main.js';
import { silentLog, testConfig } from './env.js';

export type ApiResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The JSON body, or the text of an event stream. */
  body: unknown;
  text: string;
};

/** The HTTP API's bridge on the shared server, as `fleetbot start` builds it. */
export const apiBridgeOn = (http: HttpServer) =>
  createApiBridge({ http, clock: systemClock, log: silentLog, version: '1.0.0' });

/**
 * A whole bot with the console and the HTTP API on a loopback port, as `fleetbot start` runs it with
 * FLEETBOT_HTTP_PORT; keys are made in its store as /keys create would. Every answer is checked
 * against the schema its route and status have in the bot's own /v1/openapi.json.
 */
export async function startApiBot(dataDir: string, env: Record<string, string> = {}) {
  const http = createHttpServer({ port: 0, log: silentLog });
  const port = await http.listen();
  const bridge = createConsoleBridge({ input: new PassThrough(), output: new PassThrough(), tty: false });
  const bot: Fleetbot = await createFleetbot(testConfig(dataDir, env), {
    bridges: [bridge, apiBridgeOn(http)],
    log: silentLog,
    http,
    providerSettings: { local: { healthDeadlineMs: 10_000, stopGraceMs: 2_000, pollIntervalMs: 50 } },
  });
  return {
    bot,
    ...(await apiClient(`http://127.0.0.1:${port}`)),
    key(name: string, scopes: ApiScope[]): string {
      return createApiKey(bot.store, { name, scopes, createdBy: 'console:local', expiresAt: null }).key;
    },
    async stop(): Promise<void> {
      await bot.idle();
      await bot.stop();
      await http.close();
    },
  };
}

/**
 * A program's view of the HTTP API at `base`: every answer is checked against the schema its route
 * and status have in the bot's own /v1/openapi.json.
 */
export async function apiClient(base: string) {
  const docRes = await request(`${base}/v1/openapi.json`);
  const document = (await docRes.body.json()) as Record<string, unknown> & {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: 'openapi' });

  /** The schema the document gives this route and status, and the media type it names. */
  const schemaOf = (method: string, template: string, status: number) => {
    const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
    const route = document.paths[template]?.[method.toLowerCase()];
    if (!route) throw new Error(`the document has no ${method} ${template}`);
    const response = route.responses[String(status)] as
      { $ref?: string; content?: Record<string, unknown> } | undefined;
    if (!response) throw new Error(`the document gives ${method} ${template} no ${status}`);
    if (response.$ref)
      return {
        type: 'application/problem+json',
        ref: `openapi${response.$ref}/content/application~1problem+json/schema`,
      };
    const type = Object.keys(response.content ?? {})[0]!;
    return {
      type,
      ref: `openapi#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${status}/content/${pointer(type)}/schema`,
    };
  };

  /**
   * Throws unless the answer is what the document promises for the route (`template`, as the document
   * names it; undefined for a path it does not have, which only a problem may answer) and the status.
   */
  const check = (
    method: string,
    template: string | undefined,
    status: number,
    contentType: string,
    text: string,
  ): unknown => {
    const { type, ref } =
      template === undefined || !document.paths[template]?.[method.toLowerCase()]
        ? { type: 'application/problem+json', ref: 'openapi#/components/schemas/Problem' }
        : schemaOf(method, template, status);
    if (contentType.split(';')[0] !== type)
      throw new Error(
        `${method} ${template} answered ${status} as ${contentType}, not ${type}: ${text.slice(0, 300)}`,
      );
    const parsed: unknown = type === 'text/event-stream' ? text : JSON.parse(text);
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    if (!validate(parsed))
      throw new Error(
        `${method} ${template} ${status} does not match its schema: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`,
      );
    if (type === 'application/problem+json' && (parsed as { status: number }).status !== status)
      throw new Error(`a problem says ${(parsed as { status: number }).status} in a ${status} answer`);
    return parsed;
  };

  return {
    base,
    check,
    document,
    /**
     * One request; its answer must match what the document promises for `template` (the route as the
     * document names it) and the status it got, down to the media type.
     */
    async call(
      method: string,
      path: string,
      opts: {
        template: string;
        key?: string;
        body?: unknown;
        raw?: string;
        headers?: Record<string, string>;
      },
    ): Promise<ApiResponse> {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await request(`${base}${path}`, {
        method: method as 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
        headersTimeout: 30_000,
        bodyTimeout: 60_000,
      });
      const text = await res.body.text();
      const parsed = check(
        method,
        opts.template,
        res.statusCode,
        String(res.headers['content-type'] ?? ''),
        text,
      );
      return { status: res.statusCode, headers: res.headers, body: parsed, text };
    },
    /** A stream's `end` event must match the record the document gives it. */
    expectEndEvent(method: string, template: string, data: unknown): void {
      const pointer = template.replaceAll('~', '~0').replaceAll('/', '~1');
      const route = document.paths[template]![method.toLowerCase()]!;
      const status = Object.keys(route.responses).find((k) => k.startsWith('2'))!;
      const ref = `openapi#/paths/${pointer}/${method.toLowerCase()}/responses/${status}/x-end-event`;
      const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
      if (!validate(data))
        throw new Error(`the end event does not match: ${ajv.errorsText(validate.errors)}`);
    },
  };
}
