#!/usr/bin/env node
// The reference agent's chat side: Agent Client Protocol v1 (newline-delimited JSON-RPC 2.0 over
// stdio), written by hand because it runs inside the agent's sandbox, where no node_modules exist.
//
// Without a model it answers deterministically with four workspace tools:
//   list [folder] · read <file> · write <file> <text> · run <command>
// (write and run ask permission first). With OPENAI_BASE_URL (and OPENAI_API_KEY) in its
// environment it streams answers from that OpenAI-compatible model instead.
// Sessions are kept in .acp-sessions/ in its folder, so session/load continues them after a restart.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { createInterface } from 'node:readline';

const workspace = process.cwd();
const sessionsDir = path.join(workspace, '.acp-sessions');
const modelBase = process.env.OPENAI_BASE_URL?.replace(/\/+$/, '');
const modelKey = process.env.OPENAI_API_KEY;
const modelName = process.env.OPENAI_MODEL ?? process.env.AGENT_MODEL;
const maxOutput = 20_000;
const runLimitMs = 60_000;

// ---- JSON-RPC over stdio ----------------------------------------------------------------------

const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
const notify = (method, params) => send({ method, params });
let nextRequestId = 1;
const waiting = new Map();
const request = (method, params) =>
  new Promise((resolve, reject) => {
    const id = nextRequestId++;
    waiting.set(id, { resolve, reject });
    send({ id, method, params });
  });

class RpcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// ---- sessions ---------------------------------------------------------------------------------

const sessions = new Map();
const sessionFile = (id) => path.join(sessionsDir, `${id}.json`);
const save = (session) => {
  mkdirSync(sessionsDir, { recursive: true });
  writeFileSync(sessionFile(session.id), JSON.stringify({ history: session.history }));
};
const fresh = (id, history = []) => ({ id, history, allowed: new Set(), turn: undefined });

const update = (session, u) => notify('session/update', { sessionId: session.id, update: u });
const say = (session, text) =>
  update(session, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } });

// ---- the workspace tools ----------------------------------------------------------------------

const inside = (file) => {
  const full = path.resolve(workspace, file ?? '.');
  const rel = path.relative(workspace, full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${file} is outside the workspace`);
  return full;
};
const capped = (text) =>
  text.length > maxOutput ? `${text.slice(0, maxOutput)}\n… (cut at ${maxOutput} characters)` : text;
// A fence inside the output would end ours early: it is written with quotes instead.
const fence = (text) => `\n\`\`\`\n${text.replace(/```/g, "'''")}\n\`\`\`\n`;

let nextTool = 1;
const startTool = (session, title, kind, rawInput) => {
  const toolCallId = `tool-${nextTool++}`;
  update(session, { sessionUpdate: 'tool_call', toolCallId, title, kind, status: 'pending', rawInput });
  return toolCallId;
};
const finishTool = (session, toolCallId, status, content) =>
  update(session, { sessionUpdate: 'tool_call_update', toolCallId, status, ...(content ? { content } : {}) });

/** Asks the person through the client, remembering "always" for the rest of the session. */
async function mayI(session, toolCallId, title, kind, rawInput) {
  if (session.allowed.has(kind)) return true;
  const answer = await request('session/request_permission', {
    sessionId: session.id,
    toolCall: { toolCallId, title, kind, rawInput },
    options: [
      { optionId: 'allow-once', name: 'Allow once', kind: 'allow_once' },
      { optionId: 'allow-always', name: 'Allow for this session', kind: 'allow_always' },
      { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
    ],
  });
  if (answer?.outcome?.outcome !== 'selected') return false;
  if (answer.outcome.optionId === 'allow-always') session.allowed.add(kind);
  return answer.outcome.optionId.startsWith('allow');
}

const tools = {
  async list(session, args) {
    const folder = args.trim() || '.';
    const id = startTool(session, `List ${folder}`, 'read', { path: folder });
    const entries = readdirSync(inside(folder), { withFileTypes: true })
      .filter((e) => e.name !== '.acp-sessions')
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort();
    finishTool(session, id, 'completed');
    return entries.length
      ? `${folder} holds:\n${entries.map((e) => `- ${e}`).join('\n')}\n`
      : `${folder} is empty.\n`;
  },
  async read(session, args) {
    const file = args.trim();
    if (!file) return 'Say which file: read <file>\n';
    const id = startTool(session, `Read ${file}`, 'read', { path: file });
    const text = readFileSync(inside(file), 'utf8');
    finishTool(session, id, 'completed');
    return `${file}:${fence(capped(text))}`;
  },
  async write(session, args) {
    const [, file, text = ''] = /^(\S+)\s*([\s\S]*)$/.exec(args.trim()) ?? [];
    if (!file) return 'Say what to write: write <file> <text>\n';
    const full = inside(file);
    const id = startTool(session, `Write ${file}`, 'edit', { path: file });
    if (!(await mayI(session, id, `Write ${file}`, 'edit', { path: file }))) {
      finishTool(session, id, 'failed');
      return session.turn.cancelled ? '' : `Not written: permission to write ${file} was refused.\n`;
    }
    let oldText = null;
    try {
      oldText = readFileSync(full, 'utf8');
    } catch {
      // a new file
    }
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, `${text}\n`);
    finishTool(session, id, 'completed', [{ type: 'diff', path: full, oldText, newText: `${text}\n` }]);
    return `Wrote ${Buffer.byteLength(text) + 1} bytes to ${file}.\n`;
  },
  async run(session, args) {
    const command = args.trim();
    if (!command) return 'Say what to run: run <command>\n';
    const id = startTool(session, `Run ${command}`, 'execute', { command });
    if (!(await mayI(session, id, `Run ${command}`, 'execute', { command }))) {
      finishTool(session, id, 'failed');
      return session.turn.cancelled ? '' : `Not run: permission to run \`${command}\` was refused.\n`;
    }
    update(session, { sessionUpdate: 'tool_call_update', toolCallId: id, status: 'in_progress' });
    // Its own process group, so stopping it stops what it started too (a shell's `sleep`).
    const child = spawn('sh', ['-c', command], {
      cwd: workspace,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (chunk) => (output = (output + chunk.toString()).slice(-maxOutput));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    session.turn.stop = kill;
    const timer = setTimeout(kill, runLimitMs);
    const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(signal ?? c)));
    clearTimeout(timer);
    finishTool(session, id, code === 0 ? 'completed' : 'failed');
    return `\`${command}\` ended with ${typeof code === 'number' ? `exit code ${code}` : code}:${fence(output.trimEnd())}`;
  },
};

const help = () =>
  [
    'I am the reference agent, running without a model. I can work in my workspace:',
    '- list [folder]',
    '- read <file>',
    '- write <file> <text> (asks first)',
    '- run <command> (asks first)',
    'Give me a model with the OPENAI_BASE_URL and OPENAI_API_KEY secrets to talk freely.',
    '',
  ].join('\n');

/** Streams a fixed answer in words, as a model would. */
const stream = (session, text) => {
  for (const piece of text.match(/\S+\s*|\s+/g) ?? []) say(session, piece);
};

async function withoutModel(session, prompt) {
  const [, word = '', args = ''] = /^\s*(\S*)\s*([\s\S]*)$/.exec(prompt) ?? [];
  const tool = tools[word.toLowerCase()];
  let answer;
  try {
    answer = tool ? await tool(session, args) : help();
  } catch (err) {
    answer = `That did not work: ${err.message}\n`;
  }
  stream(session, answer);
  return answer;
}

// ---- with a model -----------------------------------------------------------------------------

async function withModel(session, prompt) {
  const abort = new AbortController();
  session.turn.stop = () => abort.abort();
  const response = await fetch(`${modelBase}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(modelKey ? { authorization: `Bearer ${modelKey}` } : {}),
    },
    body: JSON.stringify({
      ...(modelName ? { model: modelName } : {}),
      messages: [...session.history, { role: 'user', content: prompt }],
      stream: true,
    }),
    signal: AbortSignal.any([abort.signal, AbortSignal.timeout(10 * 60_000)]),
  });
  if (!response.ok) {
    const text = `The model answered HTTP ${response.status}; check OPENAI_BASE_URL and OPENAI_API_KEY.\n`;
    say(session, text);
    return text;
  }
  let answer = '';
  let pending = '';
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    pending += decoder.decode(bytes, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      const data = line.startsWith('data:') ? line.slice(5).trim() : '';
      if (!data || data === '[DONE]') continue;
      let delta;
      try {
        delta = JSON.parse(data).choices?.[0]?.delta?.content;
      } catch {
        continue;
      }
      if (typeof delta === 'string' && delta) {
        answer += delta;
        say(session, delta);
      }
    }
  }
  return answer;
}

// ---- the methods ------------------------------------------------------------------------------

const sessionOf = (params) => {
  const session = sessions.get(params?.sessionId);
  if (!session) throw new RpcError(-32002, `no session ${params?.sessionId}`);
  return session;
};

const methods = {
  initialize: () => ({
    protocolVersion: 1,
    agentCapabilities: { loadSession: true },
    agentInfo: { name: 'fleetbot-reference-agent', version: '0.1.0' },
    authMethods: [],
  }),
  'session/new': () => {
    const session = fresh(randomUUID());
    sessions.set(session.id, session);
    save(session);
    return { sessionId: session.id };
  },
  'session/load': (params) => {
    const id = String(params?.sessionId ?? '');
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new RpcError(-32002, `no session ${id}`);
    let stored;
    try {
      stored = JSON.parse(readFileSync(sessionFile(id), 'utf8'));
    } catch {
      throw new RpcError(-32002, `no session ${id}`);
    }
    const session = fresh(id, stored.history ?? []);
    sessions.set(id, session);
    for (const m of session.history)
      update(session, {
        sessionUpdate: m.role === 'user' ? 'user_message_chunk' : 'agent_message_chunk',
        content: { type: 'text', text: m.content },
      });
    return {};
  },
  'session/prompt': async (params) => {
    const session = sessionOf(params);
    if (session.turn) throw new RpcError(-32600, 'a prompt is already running in this session');
    const prompt = (params.prompt ?? [])
      .filter((b) => b?.type === 'text')
      .map((b) => b.text)
      .join('\n');
    session.turn = { cancelled: false, stop: () => undefined };
    try {
      const answer = modelBase ? await withModel(session, prompt) : await withoutModel(session, prompt);
      session.history.push({ role: 'user', content: prompt }, { role: 'assistant', content: answer });
      save(session);
      return { stopReason: session.turn.cancelled ? 'cancelled' : 'end_turn' };
    } catch (err) {
      if (session.turn.cancelled) return { stopReason: 'cancelled' };
      throw err;
    } finally {
      session.turn = undefined;
    }
  },
};

const notifications = {
  'session/cancel': (params) => {
    const turn = sessions.get(params?.sessionId)?.turn;
    if (!turn) return;
    turn.cancelled = true;
    turn.stop();
  },
};

async function receive(message) {
  if (message === null || typeof message !== 'object' || message.jsonrpc !== '2.0')
    return send({ id: null, error: { code: -32600, message: 'not a JSON-RPC 2.0 message' } });
  if (!('method' in message)) {
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) pending?.reject(new Error(message.error.message));
    else pending?.resolve(message.result);
    return;
  }
  if (!('id' in message)) return notifications[message.method]?.(message.params);
  const method = methods[message.method];
  if (!method)
    return send({ id: message.id, error: { code: -32601, message: `no method ${message.method}` } });
  try {
    send({ id: message.id, result: await method(message.params) });
  } catch (err) {
    send({ id: message.id, error: { code: err.code ?? -32603, message: err.message } });
  }
}

createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return send({ id: null, error: { code: -32700, message: 'Parse error' } });
  }
  void receive(message);
});
process.stdin.on('end', () => process.exit(0));
