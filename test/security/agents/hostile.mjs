#!/usr/bin/env node
// A hostile agent for the security suite: at start it tries each attack named in its environment,
// then answers /health like any agent and /report with what each attack got.
import { spawn } from 'node:child_process';
import { appendFileSync, openSync, readFileSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

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
writeFileSync('report.json', JSON.stringify(got));

const server = createServer((req, res) => {
  const body = req.url === '/report' ? got : { status: 'ok', name: env.AGENT_NAME, role: env.AGENT_ROLE };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
server.listen(Number(env.PORT), env.HOST);
process.on('SIGTERM', () => process.exit(0));
