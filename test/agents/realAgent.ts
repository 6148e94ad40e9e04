import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ScriptedReply } from './fakeModel.js';

/**
 * OpenCode (npm `opencode-ai`, a devDependency) as an ACP agent: `opencode acp` speaks ACP v1 over stdio.
 * This file is the recipe a role file follows: the argv and the environment (with a writable HOME of its
 * own, where it keeps its settings, sessions and logs) that make it talk only to the model it is given.
 *
 * What OpenCode does on its own, and what here stops it:
 * - it installs `@opencode-ai/plugin` into its config folder from the npm registry at every start (with
 *   its own bundled npm code): `npm_config_offline=true` makes that fail at once, without a connection;
 * - it checks for updates, downloads LSP servers, loads default plugins and the models.dev catalogue:
 *   the `OPENCODE_DISABLE_*` variables and `OPENCODE_PURE`;
 * - it asks a "title" agent to name each new session, a second model call per conversation: disabled;
 * - its default permission for shell commands and edits is "allow": `ask` makes it call
 *   `session/request_permission` first;
 * - `opencode acp` serves its own HTTP API on 127.0.0.1 (port 4096, or any free port when that is taken)
 *   that can run commands in the workspace; without `OPENCODE_SERVER_PASSWORD` anyone on the machine may
 *   use it, so every process gets a fresh random password.
 */

export const openCodePackage = 'opencode-ai';

/** The model's replies for a turn that runs a command needing permission: notes.txt, then a word on it. */
export const makeNotes: ScriptedReply[] = [
  {
    kind: 'toolCall',
    id: 'call_notes',
    name: 'bash',
    arguments: { command: "printf 'written by the agent\\n' > notes.txt", description: 'Create notes.txt' },
  },
  { kind: 'text', chunks: ['Created ', 'notes.txt.'] },
];

export interface OpenCodeModel {
  /** An OpenAI-compatible base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  baseUrl: string;
  model: string;
  apiKey: string;
}

export interface OpenCodeLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** The installed `opencode` binary, or why it cannot run here. */
export function findOpenCode(): { binary: string; version: string } | { unavailable: string } {
  let binary: string;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${openCodePackage}/package.json`);
    binary = join(dirname(manifest), 'bin', 'opencode.exe');
  } catch {
    return { unavailable: `${openCodePackage} is not installed (npm install)` };
  }
  // The package's postinstall puts the platform binary in place; where it did not run, this fails.
  const probe = spawnSync(binary, ['--version'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: '/usr/bin:/bin' },
  });
  if (probe.error !== undefined) return { unavailable: `${binary} does not start: ${probe.error.message}` };
  if (probe.status !== 0)
    return { unavailable: `${binary} --version exited with ${probe.status}: ${probe.stderr.trim()}` };
  return { binary, version: probe.stdout.trim() };
}

/**
 * OpenCode's configuration, passed whole in `OPENCODE_CONFIG_CONTENT`: one OpenAI-compatible provider
 * (`@ai-sdk/openai-compatible` is bundled in the binary), nothing fetched, everything that changes the
 * workspace asked for.
 */
export function openCodeConfig(model: OpenCodeModel): Record<string, unknown> {
  const provider = 'fleetbot';
  return {
    autoupdate: false,
    share: 'disabled',
    model: `${provider}/${model.model}`,
    small_model: `${provider}/${model.model}`,
    enabled_providers: [provider],
    permission: { bash: 'ask', edit: 'ask', webfetch: 'deny' },
    agent: { title: { disable: true } },
    provider: {
      [provider]: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fleetbot model',
        options: { baseURL: model.baseUrl, apiKey: '{env:FLEETBOT_MODEL_API_KEY}' },
        models: { [model.model]: { name: model.model } },
      },
    },
  };
}

export function openCodeLaunch(options: {
  binary: string;
  home: string;
  workspace: string;
  model: OpenCodeModel;
}): OpenCodeLaunch {
  return {
    command: options.binary,
    args: ['acp'],
    cwd: options.workspace,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: options.home,
      OPENCODE_CONFIG_CONTENT: JSON.stringify(openCodeConfig(options.model)),
      FLEETBOT_MODEL_API_KEY: options.model.apiKey,
      OPENCODE_SERVER_PASSWORD: randomBytes(24).toString('base64url'),
      OPENCODE_DISABLE_AUTOUPDATE: 'true',
      OPENCODE_DISABLE_MODELS_FETCH: 'true',
      OPENCODE_DISABLE_LSP_DOWNLOAD: 'true',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: 'true',
      OPENCODE_DISABLE_SHARE: 'true',
      OPENCODE_DISABLE_CLAUDE_CODE: 'true',
      OPENCODE_PURE: 'true',
      npm_config_offline: 'true',
    },
  };
}

export interface AgentProcess {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** What the agent wrote to stderr, for the failure message of a test. */
  stderr(): string;
  /** Closes stdin (OpenCode exits on EOF), then kills the whole process group if it lingers. */
  stop(): Promise<void>;
}

export function startAgentProcess(launch: OpenCodeLaunch): AgentProcess {
  // Its own process group, so that stop() also ends the shells its tools started.
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-20_000);
  });
  const exited = once(child, 'exit');
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => killGroup(child.pid), 3_000);
      await exited;
      clearTimeout(timer);
      killGroup(child.pid);
    },
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}
