import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import type { Benchmark } from './row.js';
import { median, percentile, repeat } from './stats.js';
import { startApiFleetbot } from './support/apiFleetbot.js';
import { sseEvents } from './support/sseEvents.js';

const bareEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'bareJsonServer.ts');

type Burst = { latencies: number[]; notOk: number; failures: Record<string, number> };

/**
 * n GET requests at once on n connections of the pool, each timed from its send to its last byte. An
 * answer other than 200, or a connection the server closed, is counted by what it was; it is timed too.
 */
async function burst(pool: Pool, n: number, headers: Record<string, string>): Promise<Burst> {
  const results = await Promise.all(
    Array.from({ length: n }, async () => {
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: '/v1/agents', headers });
        await res.body.arrayBuffer();
        return {
          ms: performance.now() - started,
          failure: res.statusCode === 200 ? undefined : String(res.statusCode),
        };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        return { ms: performance.now() - started, failure: typeof code === 'string' ? code : 'error' };
      }
    }),
  );
  const failures: Record<string, number> = {};
  for (const { failure } of results) if (failure) failures[failure] = (failures[failure] ?? 0) + 1;
  return {
    // A refusal is fast: timing it would flatter the figure, so only answers count; refusals are counted.
    latencies: results.filter((r) => !r.failure).map((r) => r.ms),
    notOk: results.filter((r) => r.failure).length,
    failures,
  };
}

/**
 * Starts a job and follows its events from the moment it is accepted: for each event that happened
 * after the stream opened (a step starting or ending, the job starting), the time from that change,
 * as the job's stored record dates it, to the event's arrival here.
 */
async function stepToEvent(
  url: string,
  headers: Record<string, string>,
  start: { method: 'POST'; path: string; body?: unknown },
): Promise<{ delays: number[]; status: unknown }> {
  const accepted = await request(`${url}${start.path}`, {
    method: start.method,
    headers: { ...headers, 'content-type': 'application/json' },
    ...(start.body === undefined ? {} : { body: JSON.stringify(start.body) }),
  });
  const answer = (await accepted.body.json()) as { job?: { id: number } };
  if (accepted.statusCode !== 202 || !answer.job)
    throw new Error(
      `${start.method} ${start.path} answered ${accepted.statusCode}: ${JSON.stringify(answer)}`,
    );
  const opened = Date.now();
  const stream = await request(`${url}/v1/jobs/${answer.job.id}/events`, { headers });
  if (stream.statusCode !== 200) throw new Error(`the job's events answered ${stream.statusCode}`);
  const delays: number[] = [];
  let status: unknown;
  for await (const event of sseEvents(stream.body)) {
    const at = (event.data as { at?: unknown }).at;
    if (typeof at === 'string' && Date.parse(at) >= opened) delays.push(event.receivedAt - Date.parse(at));
    if (event.event === 'end') status = (event.data as { status?: unknown }).status;
  }
  return { delays, status };
}

/**
 * B9: the HTTP API of a whole fleetbot (its own process, FLEETBOT_HTTP_PORT) over a store of 1,000
 * agents: n concurrent `GET /v1/agents` with one key, p99 and its ratio to a bare node:http server (a
 * process of its own) answering the same JSON, rounds interleaved; and the time from a job's step
 * change to its Server-Sent Event, over a local deploy and restarts of that agent.
 */
export const apiLatency: Benchmark = async ({ quick }) => {
  const agents = 1_000;
  const n = quick ? 50 : 200;
  const rounds = quick ? 2 : 5;
  const bot = await startApiFleetbot({ agents });
  const bare = fork(bareEntry, [], { execArgv: ['--import', 'tsx'] });
  const auth = { authorization: `Bearer ${bot.key}` };
  const fleetPool = new Pool(bot.url, { connections: n });
  let barePool: Pool | undefined;
  try {
    const first = await request(`${bot.url}/v1/agents`, { headers: auth });
    const listed = (await first.body.json()) as { agents?: unknown[] };
    if (first.statusCode !== 200 || listed.agents?.length !== agents)
      throw new Error(`GET /v1/agents answered ${first.statusCode} with ${listed.agents?.length} agents`);
    bare.send(listed);
    const [barePort] = (await once(bare, 'message')) as [number];
    barePool = new Pool(`http://127.0.0.1:${barePort}`, { connections: n });
    const pools = { fleet: fleetPool, bare: barePool };
    // Warm-up at full size: every connection open, the JIT and SQLite's statement cache warm.
    await repeat(quick ? 1 : 3, async () => {
      await burst(pools.fleet, n, auth);
      await burst(pools.bare, n, auth);
    });
    const results = await repeat(rounds, async () => {
      const fleet = await burst(pools.fleet, n, auth);
      const base = await burst(pools.bare, n, auth);
      return {
        fleetP99: percentile(fleet.latencies, 99),
        fleetP50: percentile(fleet.latencies, 50),
        baseP99: percentile(base.latencies, 99),
        baseP50: percentile(base.latencies, 50),
        fleetNotOk: fleet.notOk,
        fleetFailures: fleet.failures,
      };
    });
    // The server takes so many connections at once; the jobs below need one of their own.
    await fleetPool.close();
    await barePool.close();
    const deploy = await stepToEvent(bot.url, auth, {
      method: 'POST',
      path: '/v1/agents',
      body: { role: 'swe', name: 'b9-agent', provider: 'local' },
    });
    const restarts = await repeat(quick ? 2 : 10, () =>
      stepToEvent(bot.url, auth, { method: 'POST', path: '/v1/agents/b9-agent/restart' }),
    );
    const jobs = [deploy, ...restarts];
    const failedJobs = jobs.filter((j) => j.status !== 'succeeded').length;
    if (failedJobs > 0) throw new Error(`${failedJobs} of the jobs followed did not succeed`);
    const delays = jobs.flatMap((j) => j.delays);
    const fleetP99 = median(results.map((r) => r.fleetP99));
    const baseP99 = median(results.map((r) => r.baseP99));
    const notOk = results.reduce((sum, r) => sum + r.fleetNotOk, 0);
    return [
      {
        id: 'B9',
        what: `GET /v1/agents (${agents} agents), p99 over ${n} at once`,
        measured: fleetP99,
        unit: 'ms',
        target: 1000,
        detail: { rounds: results },
      },
      {
        id: 'B9',
        what: 'p99 ratio to a bare node:http server, same JSON',
        measured: fleetP99 / Math.max(baseP99, 1),
        unit: '×',
        target: 5,
        detail: { fleetP99, baseP99 },
      },
      {
        id: 'B9',
        what: `GET /v1/agents answers other than 200, of ${n * rounds}`,
        measured: notOk,
        unit: '',
        target: 0,
        detail: { failures: results.map((r) => r.fleetFailures) },
      },
      {
        id: 'B9',
        what: 'job step change → its SSE event, p99',
        measured: percentile(delays, 99),
        unit: 'ms',
        target: 100,
        detail: { jobs: jobs.length, events: delays.length, p50: percentile(delays, 50) },
      },
    ];
  } finally {
    if (!fleetPool.closed) await fleetPool.close();
    if (barePool && !barePool.closed) await barePool.close();
    bare.disconnect();
    await bot.stop();
  }
};
