import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { processesWithEnv } from '../../src/providers/local/process.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { tempDir } from '../support/env.js';
import { startFakeModel, type FakeModel } from './fakeModel.js';
import { findOpenCode, makeNotes, openCodeConfig } from './realAgent.js';

// The whole bot with a real coding agent from npm (OpenCode) under the shipped `opencode` role: a role
// without a daemon, deployed by the local provider into its sandbox, checked by starting `opencode acp`
// and answering `initialize`, then talked to with /ask, a permission pressed as a person does.

const openCode = findOpenCode();
const unavailable = 'unavailable' in openCode ? openCode.unavailable : undefined;

/**
 * The shipped role as an operator adapts it: the binary where this machine has it (not on PATH), and
 * OpenCode's configuration pointing at the model, whose key is a secret from fleetbot's environment.
 */
function adaptedRole(binary: string, model: FakeModel, apiKey: string): string {
  const role = parseYaml(readFileSync('templates/roles/opencode.yaml', 'utf8')) as {
    agent: { env: Record<string, string>; secrets: { name: string; required?: boolean }[] };
    chat: { command: string[] };
  };
  // The binary as the script's $0: an absolute argument, so the sandbox shows its folder read-only.
  const [shell, flag, script] = role.chat.command;
  role.chat.command = [shell!, flag!, script!.replace('exec opencode acp', 'exec "$0" acp'), binary];
  role.agent.env.OPENCODE_CONFIG_CONTENT = JSON.stringify(
    openCodeConfig({ baseUrl: model.baseUrl, model: 'scripted-coder', apiKey }),
  );
  role.agent.secrets.push({ name: 'FLEETBOT_MODEL_API_KEY' });
  return JSON.stringify(role);
}

/** The TCP ports these processes listen on (from the kernel's tables and their open sockets). */
function listeningPorts(pids: number[]): number[] {
  const sockets = new Set(
    pids.flatMap((pid) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).map((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return '';
          }
        });
      } catch {
        return [];
      }
    }),
  );
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[3] === '0A' && sockets.has(`socket:[${f[9]}]`))
      .map((f) => parseInt(f[1]!.split(':').pop()!, 16)),
  );
}

describe.skipIf(unavailable !== undefined)('OpenCode deployed and talked to through the whole bot', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  let model: FakeModel;
  let s: Awaited<ReturnType<typeof startConsoleBot>>;
  const shows = (pattern: RegExp): Promise<void> => s.shows(pattern, 90_000);

  beforeAll(async () => {
    if ('unavailable' in openCode) return;
    const apiKey = randomBytes(16).toString('hex');
    model = await startFakeModel({ model: 'scripted-coder', apiKey });
    cleanups.push(() => model.close());
    // Role files beside the data folder, never in it (the sandbox refuses code that would show it).
    const roles = tempDir('fleetbot-roles-');
    const data = tempDir();
    cleanups.push(roles.cleanup, data.cleanup);
    mkdirSync(path.join(roles.dir, 'roles'));
    writeFileSync(
      path.join(roles.dir, 'roles', 'opencode.yaml'),
      adaptedRole(openCode.binary, model, apiKey),
    );
    s = await startConsoleBot(data.dir, {
      FLEETBOT_ROLES_DIR: path.join(roles.dir, 'roles'),
      FLEETBOT_MODEL_API_KEY: apiKey,
    });
    cleanups.push(() => s.stop());
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('deploys it with no daemon, checked by its ACP handshake, and streams its answer', async () => {
    await s.type('/deploy opencode carol');
    const card = s.find(/Deploy carol/)!.versions.at(-1)!;
    expect(card).toMatch(/^✅ Done: Deploy carol \(opencode, local\)/);
    expect(card).toMatch(/✅ Check it answers over acp/);
    expect(card).not.toMatch(/Start agent process/);

    model.script({ kind: 'text', chunks: ['Hello', ' from the', ' scripted', ' model.'] });
    await s.type('/ask carol Say hello.');
    await shows(/Hello from the scripted model\./);
  }, 180_000);

  it('asks before running a command, runs it once allowed, and keeps its own HTTP API locked to others', async () => {
    const dir = String(s.bot.store.agents.live('carol')!.resources.dir);
    model.script(...makeNotes);
    await s.type('/ask carol Make notes.');
    await shows(/carol asks permission/);
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(false);

    // The conversation's process got a password of its own for OpenCode's HTTP API.
    const passwords = processesWithEnv(`FLEETBOT_AGENT_DIR=${dir}`).flatMap((pid) => {
      try {
        const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .find((e) => e.startsWith('OPENCODE_SERVER_PASSWORD='));
        return entry ? [entry.slice('OPENCODE_SERVER_PASSWORD='.length)] : [];
      } catch {
        return [];
      }
    });
    expect(passwords.length).toBeGreaterThan(0);
    expect(passwords[0]!.length).toBeGreaterThanOrEqual(32);
    // Another process on the machine (another agent) reaches that API and is refused.
    const ports = listeningPorts(processesWithEnv(`FLEETBOT_AGENT_DIR=${dir}`));
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) {
      const stranger = await fetch(`http://127.0.0.1:${port}/session`, {
        signal: AbortSignal.timeout(5_000),
      });
      expect(stranger.status).toBe(401);
    }

    const allow = /\[(\d+)\] Allow once/.exec(s.find(/carol asks permission/)!.versions.at(-1)!)![1]!;
    await s.type(allow);
    await shows(/Created notes\.txt\./);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('written by the agent\n');
    expect(s.find(/carol asked: /)!.versions.at(-1)).toMatch(/Allowed once by console:local/);
  }, 180_000);
});
