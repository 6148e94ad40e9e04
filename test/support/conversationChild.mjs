#!/usr/bin/env node
// What a conversation's process might do, for the channel tests: one JSON request a line on stdin,
// one JSON answer a line on stdout, as JSON-RPC over stdio would.
//   {"echo": x}           → {"echo": x}
//   {"report": [files]}   → who it runs as, where, its HOME and env, and what reading each file gave
//   {"leave": marker}     → starts a process in a session of its own that would outlive it
//   {"stderr": n}         → writes n numbered lines to stderr
//   {"exit": code}        → exits with that code
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import process from 'node:process';

const answer = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const read = (file) => {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    return { error: err.code ?? String(err) };
  }
};

function report(files) {
  let wroteHome;
  try {
    writeFileSync(path.join(process.env.HOME, 'settings.json'), '{"theme":"dark"}');
    wroteHome = true;
  } catch (err) {
    wroteHome = err.code ?? String(err);
  }
  return {
    uid: process.getuid(),
    pid: process.pid,
    cwd: process.cwd(),
    home: process.env.HOME,
    wroteHome,
    env: process.env,
    read: Object.fromEntries(files.map((f) => [f, read(f)])),
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  if ('echo' in request) answer({ echo: request.echo });
  if ('report' in request) answer(report(request.report));
  if ('leave' in request) {
    spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', request.leave], {
      detached: true,
      stdio: 'ignore',
    }).unref();
    answer({ left: request.leave });
  }
  if ('stderr' in request) {
    for (let i = 1; i <= request.stderr; i++) process.stderr.write(`line ${i}\n`);
    answer({ wrote: request.stderr });
  }
  // Node may still hold stderr writes in its own queue (a pipe is not always written synchronously);
  // they are the child's words, so it leaves once they are out, as a program that exits on purpose would.
  if ('exit' in request) process.stderr.write('', () => process.exit(request.exit));
}
