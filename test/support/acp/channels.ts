import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import { connect } from 'node:net';
import type { AgentChannels, AgentProcess } from '../../../src/core/fleet/provider.js';
import { schemaTap } from './schemaTap.js';

/**
 * The provider's channels as the protocol modules see them, without a sandbox: argv runs as a
 * child process in `folder` (or a new one each time), and every ACP message both ways goes through the schema
 * tap. `connect` opens a plain loopback socket.
 */
export function testChannels(env: Record<string, string> = {}, folder?: string) {
  const tap = schemaTap();
  const processes: AgentProcess[] = [];
  const channels: AgentChannels = {
    spawn(argv) {
      const cwd = folder ?? mkdtempSync(path.join(tmpdir(), 'acp-agent-'));
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      const stdout = new PassThrough();
      child.stdout.on('data', (chunk: Buffer) => tap.check('agent', chunk));
      child.stdout.pipe(stdout);
      const stdin = new PassThrough();
      stdin.on('data', (chunk: Buffer) => tap.check('client', chunk));
      stdin.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
      const ended = new Promise<string>((resolve) =>
        child.on('exit', (code, signal) =>
          resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`),
        ),
      );
      const proc: AgentProcess = {
        cwd,
        stdin,
        stdout,
        stderrTail: () => stderr.split('\n').slice(-10).join('\n').trim(),
        ended,
        kill: () => child.kill('SIGKILL'),
      };
      processes.push(proc);
      return Promise.resolve(proc);
    },
    connect: (port) =>
      new Promise<Duplex>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      }),
  };
  return {
    channels,
    tap,
    processes,
    killAll: () => Promise.all(processes.map((p) => (p.kill(), p.ended))),
  };
}
