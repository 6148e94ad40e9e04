import { z } from 'zod';
import { agentNameSchema } from '../core/fleet/agentName.js';
import { defineCommand, withRecord } from '../core/router/command.js';
import { agentRecord } from '../core/api/records.js';
import { UserError } from '../core/runtime/errors.js';
import { duration } from '../core/chat/format.js';
import { bold, code, link, message } from '../core/chat/outbound.js';

const healthIcon = { healthy: '✅', unhealthy: '⚠️', stopped: '⏹️' } as const;

export const status = defineCommand({
  name: 'status',
  summary: 'Show an agent: where it runs, its URL and its health',
  usage: '/status <name>',
  permission: 'viewer',
  scope: 'agents:read',
  positional: ['name'],
  args: z.object({ name: agentNameSchema }).strict(),
  run: async (ctx, { name }) => {
    const { fleet, store, now } = ctx.services;
    const agent = store.agents.live(name) ?? store.agents.latest(name);
    if (!agent) throw new UserError(`There is no agent named ${name}. /list shows the agents.`, 'not_found');
    if (agent.status === 'destroyed' || agent.status === 'failed') {
      return withRecord(
        { agent: agentRecord(agent) },
        message([
          bold(name),
          ` is ${agent.status}; the name is free. `,
          code(`/deploy ${agent.role} ${name}`),
          ' to create it again.',
        ]),
      );
    }
    if (agent.status === 'lost') {
      return withRecord(
        { agent: agentRecord(agent) },
        message(
          [bold(agent.name), ` · ${agent.role} on ${agent.provider} · lost`],
          [
            `Its machine is gone: ${typeof agent.resources.lost === 'string' ? agent.resources.lost : 'the provider no longer has it'}.`,
          ],
          [
            code(`/destroy ${agent.name}`),
            ' clears its record and whatever is left; then ',
            code(`/deploy ${agent.role} ${agent.name}`),
            ' makes a new one.',
          ],
        ),
      );
    }
    const health = await fleet.status(agent);
    const talks = fleet.roles().some((r) => r.name === agent.role && r.chat);
    return withRecord(
      { agent: agentRecord(agent, health) },
      message(
        [bold(agent.name), ` · ${agent.role} on ${agent.provider} · ${agent.status}`],
        agent.url
          ? ['URL: ', link(agent.url, agent.url)]
          : // Without a public address, what there is to do with it is talk to it.
            talks && agent.status === 'running'
            ? ['Talk to it: ', code(`/ask ${agent.name} <prompt>`)]
            : ['URL: (none yet)'],
        [
          `${healthIcon[health.state]} ${health.state}: ${health.detail}${health.latencyMs === undefined ? '' : ` (${health.latencyMs} ms)`}`,
        ],
        [`Owner ${agent.owner} · created ${duration(now() - agent.createdAt)} ago`],
        health.state === 'healthy'
          ? ['Logs: ', code(`/logs ${agent.name}`)]
          : agent.resources.adopted
            ? [code(`/destroy ${agent.name}`), ' removes it; deploy it again to manage it fully.']
            : ['Try ', code(`/logs ${agent.name}`), ' then ', code(`/restart ${agent.name}`)],
      ),
    );
  },
});
