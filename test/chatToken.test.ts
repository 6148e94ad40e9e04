import { describe, expect, it } from 'vitest';
import { chatToken, chatTokenVariable } from '../src/core/fleet/chatToken.js';
import { deployJob } from '../src/core/fleet/jobs/deploy.js';
import type { DeployRequest, Provider } from '../src/core/fleet/provider.js';
import type { Role } from '../src/core/fleet/roles.js';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';

const role = (name: string, chat: Record<string, unknown>): Role =>
  ({
    name,
    file: '/roles/x.yaml',
    agent: { command: ['agent'], port: 3100, healthPath: '/health', env: {}, secrets: [] },
    chat: { level: 'operator', idle: 60_000, ...chat },
  }) as unknown as Role;
const withToken = role('api', { protocol: 'openai', token: true });
const withoutToken = role('swe', { protocol: 'acp' });

describe('chat tokens for agents that check who calls them', () => {
  it('are the same for one agent across restarts of the store, and differ between agents and stores', () => {
    const store = openStore(':memory:', systemClock);
    const alice = store.agents.create({ name: 'alice', role: 'api', provider: 'local', owner: 'telegram:1' });
    const bob = store.agents.create({ name: 'bob', role: 'api', provider: 'local', owner: 'telegram:1' });
    const token = chatToken(store, withToken, alice)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(chatToken(store, withToken, alice)).toBe(token);
    expect(chatToken(store, withToken, bob)).not.toBe(token);
    expect(chatToken(store, withoutToken, alice)).toBeUndefined();
    const other = openStore(':memory:', systemClock);
    const aliceElsewhere = other.agents.create({
      name: 'alice',
      role: 'api',
      provider: 'local',
      owner: 'telegram:1',
    });
    expect(chatToken(other, withToken, aliceElsewhere)).not.toBe(token);
  });

  it('reach the agent at deploy as a secret, the same one conversations send', () => {
    const store = openStore(':memory:', systemClock);
    const agent = store.agents.create({ name: 'alice', role: 'api', provider: 'test', owner: 'telegram:1' });
    const asked: DeployRequest[] = [];
    const provider = {
      name: 'test',
      deployPlan: (req: DeployRequest) => (asked.push(req), []),
    } as unknown as Provider;
    deployJob.load(
      { agentId: agent.id, options: {} },
      {
        store,
        providerOf: () => provider,
        roleOf: () => withToken,
        findRole: () => withToken,
        secretsFor: () => ({ OPENAI_API_KEY: 'sk-test' }),
        imageProvider: () => {
          throw new Error('no images here');
        },
        probe: () => Promise.reject(new Error('an agent with a daemon is not probed')),
      },
    );
    expect(asked[0]!.secrets).toEqual({
      OPENAI_API_KEY: 'sk-test',
      [chatTokenVariable]: chatToken(store, withToken, agent),
    });
  });
});
