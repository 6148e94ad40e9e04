import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as build from './payloads.js';
import type { Delivery, FakeUser } from './payloads.js';
import { boundaryOf, parseMultipart } from '../telegram/multipart.js';
import { postSigned, type Signature } from './signing.js';
import { SlackState, type Injected } from './state.js';
import { serveWebApi, webApiHandlers, type Identity } from './webApi.js';
import { acceptWebSocket, type WsConnection } from './websocket.js';

/** An envelope pushed over Socket Mode, and how (and how fast) the app acknowledged it. */
export type SentEnvelope = {
  envelopeId: string;
  type: string;
  payload: Record<string, unknown>;
  sentAt: number;
  ackedAt?: number;
  ack?: unknown;
};

export type FakeSlackOptions = { signingSecret?: string };

/**
 * A fake Slack on 127.0.0.1: the Web API under /api/ (checked against the public spec), Socket Mode
 * WebSockets under /link/, response_url endpoints under /response/, and a driver that acts as Slack
 * towards the app, over the socket or as signed HTTP requests.
 */
export async function startFakeSlack(opts: FakeSlackOptions = {}) {
  const me: Identity = {
    botToken: 'xoxb-0000000000-0000000000000-FakeSlackBotToken',
    appToken: 'xapp-1-A0FLEET-0000000000000-FakeSlackAppToken',
    botUserId: 'U0BOT',
    botId: 'B0BOT',
    botName: 'fleetbot',
  };
  const signingSecret = opts.signingSecret ?? '8f742231b10e8888abcd99yyyzzz85a5';
  const state = new SlackState();
  const envelopes: SentEnvelope[] = [];
  const responses: { path: string; body: Record<string, unknown> }[] = [];
  let socket: WsConnection | undefined;
  let connections = 0;
  let withheldHellos = 0;
  let port = 0;
  const handlers = webApiHandlers(
    state,
    me,
    () => `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}`,
    (fileId) => `http://127.0.0.1:${port}/upload/${fileId}`,
  );

  /** Slack's upload URL takes the bytes raw or as a multipart form's file; the length must be as declared. */
  const receiveUpload = async (req: IncomingMessage, fileId: string): Promise<number> => {
    const file = state.files.find((f) => f.id === fileId);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (!file || file.content !== undefined) return 404;
    const boundary = boundaryOf(req.headers['content-type'] ?? '');
    const content = boundary ? [...parseMultipart(body, boundary).files.values()][0]?.content : body;
    if (!content) return 400;
    if (content.length !== file.length)
      state.violations.push({
        method: 'upload',
        problem: `uploaded ${content.length} bytes, announced ${file.length}`,
      });
    file.content = content.toString('utf8');
    return 200;
  };

  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-slack.invalid');
    const api = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname);
    const run = async (): Promise<void> => {
      if (api && req.method === 'POST') return serveWebApi(req, res, api[1]!, state, me, handlers);
      const upload = /^\/upload\/(F\d+)$/.exec(url.pathname);
      if (upload && req.method === 'POST') {
        res.writeHead(await receiveUpload(req, upload[1]!)).end('OK');
        return;
      }
      if (url.pathname.startsWith('/response/') && req.method === 'POST') {
        responses.push({ path: url.pathname, body: await readJson(req) });
        res.writeHead(200).end('ok');
        return;
      }
      res.writeHead(404).end();
    };
    run().catch((err: unknown) => {
      console.error('fake Slack server error', err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  server.on('upgrade', (req, raw, _head) => {
    const conn = acceptWebSocket(req, raw, {
      message(text) {
        const ack = JSON.parse(text) as { envelope_id?: string; payload?: unknown };
        const envelope = envelopes.find((e) => e.envelopeId === ack.envelope_id);
        if (!envelope)
          state.violations.push({ method: 'socket', problem: `ack for unknown envelope ${text}` });
        else if (envelope.ackedAt !== undefined)
          state.violations.push({ method: 'socket', problem: `second ack of ${envelope.envelopeId}` });
        else {
          envelope.ackedAt = Date.now();
          envelope.ack = ack.payload;
        }
      },
      closed() {
        if (socket === conn) socket = undefined;
      },
    });
    if (!conn) return;
    connections += 1;
    socket = conn;
    if (withheldHellos > 0) withheldHellos -= 1;
    else
      conn.send(
        JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0FLEET' } }),
      );
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  let responseSeq = 0;
  const responseUrl = (): string => `${base}/response/${++responseSeq}`;

  const push = (delivery: Delivery, retry?: { attempt: number }): SentEnvelope => {
    if (!socket?.open) throw new Error('no Socket Mode connection to push to');
    const envelope: SentEnvelope = {
      envelopeId: randomUUID(),
      type: delivery.kind,
      payload: delivery.payload,
      sentAt: Date.now(),
    };
    envelopes.push(envelope);
    socket.send(
      JSON.stringify({
        envelope_id: envelope.envelopeId,
        type: delivery.kind,
        payload: delivery.payload,
        accepts_response_payload: delivery.kind !== 'events_api',
        ...(retry ? { retry_attempt: retry.attempt, retry_reason: 'timeout' } : {}),
      }),
    );
    return envelope;
  };

  const waitFor = async (predicate: () => boolean, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (predicate()) return;
      } catch {
        // Predicates often look at state that does not exist yet.
      }
      if (Date.now() >= deadline)
        throw new Error(`waitFor timed out after ${timeoutMs} ms: ${predicate.toString()}`);
      await sleep(10);
    }
  };

  return {
    apiUrl: `${base}/api/`,
    ...me,
    signingSecret,
    state,
    calls: state.calls,
    violations: state.violations,
    envelopes,
    /** Bodies posted to response_url endpoints. */
    responses,

    /** Messages the bot posted in a channel, oldest first. */
    messages: (channel: string) => state.messages.filter((m) => m.channel === channel),
    lastShown: (channel: string): string | undefined =>
      state.messages.filter((m) => m.channel === channel).at(-1)?.shown,
    /** Files uploaded and shared, with the text a person downloading them reads. */
    files: state.files,
    ephemerals: (channel?: string) => state.ephemerals.filter((e) => !channel || e.channel === channel),

    failNext(method: string, failure: Injected, times = 1): void {
      state.inject(method, failure, times);
    },
    botNotIn(channel: string): void {
      state.outside.add(channel);
    },

    assertNoViolations(): void {
      if (state.violations.length === 0) return;
      const lines = state.violations.map((v, i) => `  ${i + 1}. ${v.method}: ${v.problem}`);
      throw new Error(`The bot broke Slack's API ${state.violations.length} time(s):\n${lines.join('\n')}`);
    },

    socket: {
      get connections() {
        return connections;
      },
      get open() {
        return socket?.open === true;
      },
      /** The next n connections open without `hello`, as a stuck Slack edge would. */
      withholdHello(n = 1): void {
        withheldHellos += n;
      },
      disconnect(reason = 'refresh_requested'): void {
        socket?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-slack' } }));
      },
      drop(): void {
        socket?.drop();
      },
    },

    /** Acting as Slack over Socket Mode. */
    /** `responseUrl` forges the payload's response_url (by default one of the fake's own endpoints). */
    slashCommand: (p: { user: FakeUser; channel: string; text: string; responseUrl?: string }) =>
      push(build.slashCommand({ ...p, responseUrl: p.responseUrl ?? responseUrl() })),
    mention: (p: { user: FakeUser; channel: string; text: string; threadTs?: string }) =>
      push(build.mention({ ...p, text: `<@${me.botUserId}> ${p.text}` })),
    dm: (p: { user: FakeUser; channel: string; text: string }) => push(build.userMessage(p)),
    /** A person writes in a channel or DM; in a thread when threadTs names its root. */
    say: (p: { user: FakeUser; channel: string; text: string; threadTs?: string }) =>
      push(build.userMessage(p)),
    /** Any other event in a channel (a join, an edit, another bot's post). */
    event: (event: Record<string, unknown>) => push(build.channelEvent(event)),
    press: (p: { user: FakeUser; channel: string; messageTs: string; actionId: string }) =>
      push(build.buttonPress({ ...p, responseUrl: responseUrl() })),
    /** The same delivery again, as Slack does after a missed ack or a reconnect. */
    redeliver: (envelope: SentEnvelope) =>
      push({ kind: envelope.type as Delivery['kind'], payload: envelope.payload }, { attempt: 1 }),

    /** Acting as Slack over HTTP: the same deliveries, signed and posted to the app's URL. */
    http: {
      slashCommand: (
        url: string,
        p: { user: FakeUser; channel: string; text: string },
        signature?: Signature,
      ) =>
        postSigned(url, signingSecret, build.slashCommand({ ...p, responseUrl: responseUrl() }), {
          ...(signature ? { signature } : {}),
        }),
      post: (url: string, delivery: Delivery, o: { signature?: Signature; retryNum?: number } = {}) =>
        postSigned(url, signingSecret, delivery, o),
    },

    waitFor,

    async close(): Promise<void> {
      socket?.drop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;
