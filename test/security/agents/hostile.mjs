#!/usr/bin/env node
// A hostile agent for the security suite: at start it tries each attack named in its environment,
// then answers /health like any agent and /report with what each attack got.
import { spawn } from 'node:child_process';
import { appendFileSync, openSync, readFileSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';

const env = process.env;
const got = {};

/** What reading a file gave: its text, or the error. */
const read = (file) => {
  try {
    return { text: readFileSync(file, 'latin1') };
  } catch (err) {
    return { error: err.code ?? String(err) };
  }
};

/** Bytes of another process's memory: the first readable mapping in its maps file. */
function readMemory(pid) {
  try {
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
    const region = maps.find((line) => / r/.test(line.slice(line.indexOf(' '), line.indexOf(' ') + 3)));
    const start = BigInt(`0x${region.split('-')[0]}`);
    const fd = openSync(`/proc/${pid}/mem`, 'r');
    const buffer = Buffer.alloc(64);
    return { bytes: readSync(fd, buffer, 0, 64, start) };
  } catch (err) {
    return { error: err.code ?? String(err) };
  }
}

/** Every process's environment this agent can read that holds the secret. */
function findSecretAnywhere(secret) {
  const holders = [];
  // Not this agent itself, nor its sandbox's init: they were given the secret to look for.
  const own = new Set([String(process.pid), String(process.ppid)]);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && !own.has(p))) {
    const environ = read(`/proc/${pid}/environ`).text ?? '';
    if (environ.includes(secret)) holders.push(pid);
  }
  return holders;
}

for (const pid of (env.ATTACK_PIDS ?? '').split(',').filter(Boolean)) {
  got[`environ ${pid}`] = read(`/proc/${pid}/environ`);
  got[`memory ${pid}`] = readMemory(pid);
}
if (env.ATTACK_SECRET) got.secretHolders = findSecretAnywhere(env.ATTACK_SECRET);
for (const file of (env.ATTACK_READ ?? '').split(',').filter(Boolean)) got[`read ${file}`] = read(file);
for (const file of (env.ATTACK_WRITE ?? '').split(',').filter(Boolean))
  try {
    appendFileSync(file, 'hostile agent was here\n');
    got[`write ${file}`] = { ok: true };
  } catch (err) {
    got[`write ${file}`] = { error: err.code ?? String(err) };
  }
if (env.ATTACK_SETSID) {
  // A child in its own session, so the process group does not reach it; by default also without the
  // agent's environment, so the folder marker does not either: only the end of the sandbox's pid
  // namespace can. ATTACK_SETSID_ENV=keep leaves the marker (what fleetbot catches unsandboxed).
  const child = spawn(process.execPath, ['-e', `setInterval(() => {}, 1e6) // ${env.ATTACK_SETSID}`], {
    detached: true,
    stdio: 'ignore',
    env: env.ATTACK_SETSID_ENV === 'keep' ? env : {},
  });
  child.unref();
  got.setsid = { pid: child.pid };
}
/**
 * What connecting to a TCP address (host:port) or a Unix socket got: the first bytes answered to an
 * HTTP request (a Docker socket answers one), or the error.
 */
const tryConnect = (target) =>
  new Promise((resolve) => {
    const at = target.lastIndexOf(':');
    const options = target.startsWith('/')
      ? { path: target }
      : { host: target.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(target.slice(at + 1)) };
    const socket = connect(options);
    let text = '';
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(3_000, () => done(text ? { connected: true, text } : { error: 'timeout' }));
    socket.on('connect', () => socket.write('GET /version HTTP/1.0\r\nHost: x\r\n\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.length > 2_000) done({ connected: true, text });
    });
    socket.on('end', () => done({ connected: true, text }));
    socket.on('error', (err) => done({ error: err.code ?? String(err) }));
  });
/** The default gateway from the kernel's routing table: in a container, its bridge's address on the host. */
function gateway() {
  const route = (read('/proc/net/route').text ?? '').split('\n').find((l) => l.split('\t')[1] === '00000000');
  const hex = route?.split('\t')[2];
  return hex
    ? [3, 2, 1, 0]
        .map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16))
        .reverse()
        .join('.')
    : 'none';
}
/** Each target (GATEWAY stands for the default gateway's address) tried in turn. */
async function connectAll(targets) {
  const results = {};
  for (const target of targets.filter(Boolean))
    results[`connect ${target}`] = await tryConnect(target.replace('GATEWAY', gateway()));
  return results;
}
Object.assign(got, await connectAll((env.ATTACK_CONNECT ?? '').split(',')));
if (env.ATTACK_PRIVILEGE) {
  // What the kernel says this process may do, and whether it can become root.
  const status = read('/proc/self/status').text ?? '';
  const field = (name) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
  let setuid;
  try {
    process.setuid(0);
    setuid = { ok: true };
  } catch (err) {
    setuid = { error: err.code ?? String(err) };
  }
  got.privilege = {
    uid: process.getuid(),
    capEff: field('CapEff'),
    capBnd: field('CapBnd'),
    noNewPrivs: field('NoNewPrivs'),
    setuid,
  };
}
writeFileSync('report.json', JSON.stringify(got));

const server = createServer(async (req, res) => {
  // Targets only known once this agent runs (a neighbour's address): /attack?connect=a,b tries them now.
  const url = new URL(req.url, 'http://agent');
  if (url.pathname === '/attack') {
    const body = await connectAll((url.searchParams.get('connect') ?? '').split(','));
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
  const body = req.url === '/report' ? got : { status: 'ok', name: env.AGENT_NAME, role: env.AGENT_ROLE };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
server.listen(Number(env.PORT), env.HOST);
process.on('SIGTERM', () => process.exit(0));
