import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/core/store/index.js';

/** An agent the store believes is running (no process behind it), for cards and buttons. */
export function runningAgent(store: Store, name: string, owner: string, resources?: Record<string, string>) {
  const agent = store.agents.create({ name, role: 'swe', provider: 'local', owner });
  store.agents.update(agent.id, { status: 'running', ...(resources ? { resources } : {}) });
  return agent;
}

/** A running agent whose log holds the given lines, for output longer than one message. */
export function agentWithLog(store: Store, name: string, owner: string, lines: string[]): void {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  writeFileSync(path.join(dir, 'agent.log'), lines.join('\n'));
  runningAgent(store, name, owner, { logFile: path.join(dir, 'agent.log') });
}
