import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createHttpServer, headerEquals } from '../src/core/runtime/httpServer.js';
import { useCleanups } from './support/cleanups.js';
import { silentLog } from './support/env.js';
import { answerBeforeBody, outsideAddress } from './support/httpProbe.js';

describe('the HTTP server', () => {
  const defer = useCleanups();
  const serve = async (opts: { host?: string } = {}) => {
    const http = createHttpServer({ port: 0, log: silentLog, ...opts });
    const seen: number[] = [];
    http.route('POST', '/hook', (_req, body, res) => {
      seen.push(body.length);
      res.writeHead(200).end('ok');
    });
    http.route('POST', '/small', (_req, body, res) => void res.writeHead(200).end(String(body.length)), {
      maxBodyBytes: 10,
    });
    http.route('POST', '/guarded', (_req, body, res) => void res.writeHead(200).end(String(body.length)), {
      authorize: headerEquals('x-secret', 'right'),
    });
    const port = await http.listen();
    defer(() => http.close());
    return { port, seen };
  };

  it.skipIf(!outsideAddress())('listens on loopback only unless told otherwise', async () => {
    const { port } = await serve();
    expect((await request(`http://127.0.0.1:${port}/hook`, { method: 'POST', body: 'x' })).statusCode).toBe(
      200,
    );
    const outside = await request(`http://${outsideAddress()}:${port}/hook`, { method: 'POST' }).then(
      (r) => `HTTP ${r.statusCode}`,
      (err: { code?: string }) => err.code,
    );
    expect(outside).toBe('ECONNREFUSED');
  });

  it('refuses a body larger than the route takes, or a caller it does not authorize, before reading it', async () => {
    const { port, seen } = await serve();
    expect(await answerBeforeBody(port, 'POST /hook HTTP/1.1', 2 * 1024 * 1024)).toBe(
      'HTTP/1.1 413 Payload Too Large',
    );
    expect(await answerBeforeBody(port, 'POST /small HTTP/1.1', 11)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(await answerBeforeBody(port, 'POST /guarded HTTP/1.1', 1000)).toBe('HTTP/1.1 401 Unauthorized');
    expect(await answerBeforeBody(port, 'POST /elsewhere HTTP/1.1', 1000)).toBe('HTTP/1.1 404 Not Found');
    expect(seen).toEqual([]);

    const chunked = await request(`http://127.0.0.1:${port}/small`, {
      method: 'POST',
      // Chunked: no length announced, so the cap applies while reading.
      body: Readable.from(Array.from({ length: 100 }, () => Buffer.alloc(1024, 'x'))),
    });
    expect(chunked.statusCode).toBe(413);
    const guarded = await request(`http://127.0.0.1:${port}/guarded`, {
      method: 'POST',
      headers: { 'x-secret': 'right' },
      body: 'hello',
    });
    expect(await guarded.body.text()).toBe('5');
  });

  it('routes {param} segments, says which methods a path takes, and refuses a wrong media type unread', async () => {
    const http = createHttpServer({ port: 0, log: silentLog });
    http.route('GET', '/v1/agents/{name}/logs', (_req, _body, res, params) => {
      res.writeHead(200).end(JSON.stringify(params));
    });
    const read: number[] = [];
    http.route(
      'POST',
      '/v1/agents/{name}/logs',
      (_req, body, res) => void res.writeHead(200).end(String(read.push(body.length))),
      {
        contentTypes: ['application/json'],
      },
    );
    http.area('/v1', (res, { status, detail, headers }) =>
      res
        .writeHead(status, { 'content-type': 'application/problem+json', ...headers })
        .end(JSON.stringify({ status, detail })),
    );
    const port = await http.listen();
    defer(() => http.close());
    const base = `http://127.0.0.1:${port}`;

    const got = await request(`${base}/v1/agents/al%20ice/logs?n=3`);
    expect(await got.body.json()).toEqual({ name: 'al ice' });
    const wrong = await request(`${base}/v1/agents/alice/logs`, { method: 'DELETE' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, POST');
    expect(await wrong.body.json()).toEqual({
      status: 405,
      detail: 'DELETE is not served here; use GET or POST.',
    });
    const missing = await request(`${base}/v1/agents/alice`);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json');
    const outside = await request(`${base}/elsewhere`);
    expect(outside.headers['content-type']).toBe('text/plain');
    expect(
      await answerBeforeBody(port, 'POST /v1/agents/alice/logs HTTP/1.1', 1000, {
        'Content-Type': 'text/plain',
      }),
    ).toBe('HTTP/1.1 415 Unsupported Media Type');
    expect(await answerBeforeBody(port, 'GET /v1/agents/%E0%A4%A/logs HTTP/1.1', 0)).toBe(
      'HTTP/1.1 404 Not Found',
    );
    expect(read).toEqual([]);
  });

  it('turns away connections over its cap', async () => {
    const http = createHttpServer({ port: 0, log: silentLog, maxConnections: 2 });
    const port = await http.listen();
    defer(() => http.close());
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', () => undefined);
      });
    const held = [await open(), await open()];
    defer(() => held.forEach((s) => s.destroy()));
    const third = await open();
    const closed = await new Promise<boolean>((resolve) => {
      third.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000);
    });
    expect(closed).toBe(true);
  });
});
