import { z } from 'zod';
import { clockTime, preciseDuration } from '../core/chat/format.js';
import { bold, code, message } from '../core/chat/outbound.js';
import type { AlertView } from '../core/monitor/alerts.js';
import { definePrompt } from '../core/prompts/definePrompt.js';
import { UserError } from '../core/runtime/errors.js';

/**
 * The card about an outage, one per incident and chat, edited as the incident evolves. Its buttons
 * (Restart, Logs, Ack, Mute) stay usable until the incident is resolved; a resolved card has none.
 */
export const alertPrompt = definePrompt({
  kind: 'alert',
  payload: z.object({ incidentId: z.number().int(), agentId: z.number().int() }),
  permission: { restart: 'operator', logs: 'viewer', ack: 'operator', mute: 'operator' },
  choices: ['restart', 'logs', 'ack', 'mute'],
  multiUse: true,
  draw: ({ incident, agent, health, now, flapWindowMs }: AlertView, { buttons }) => {
    if (incident.resolvedAt !== null) {
      return message(
        [
          bold(`✅ ${agent.name} recovered`),
          ` after ${preciseDuration(incident.resolvedAt - incident.openedAt)}`,
        ],
        `Down ${clockTime(incident.openedAt)}–${clockTime(incident.resolvedAt)}${incident.flapping ? ', flapping' : ''}.`,
        ...(incident.lastError ? [['Last error was: ', code(incident.lastError)]] : []),
      );
    }
    const acked = incident.ackedBy && (incident.ackedUntil ?? 0) > now;
    const muted = health?.mutedUntil && health.mutedUntil > now;
    return {
      ...message(
        incident.flapping
          ? [
              bold(`🟠 ${agent.name} is flapping`),
              `: down ${health?.downs.length ?? 0} times in ${preciseDuration(flapWindowMs)}`,
            ]
          : [
              bold(`🔴 ${agent.name} is down`),
              ` since ${clockTime(incident.openedAt)} (${preciseDuration(now - incident.openedAt)})`,
            ],
        `${agent.role} on ${agent.provider}${agent.url ? ` · ${agent.url}` : ''}`,
        ['Last error: ', code(incident.lastError ?? 'unknown')],
        acked
          ? `Acknowledged by ${incident.ackedBy} until ${clockTime(incident.ackedUntil!)}`
          : 'Not acknowledged',
        ...(muted ? [`Muted until ${clockTime(health.mutedUntil!)}: no new alerts`] : []),
      ),
      buttons: [
        [
          { id: buttons.restart, label: 'Restart', style: 'primary' },
          { id: buttons.logs, label: 'Logs' },
          { id: buttons.ack, label: 'Ack' },
          { id: buttons.mute, label: 'Mute 1 h' },
        ],
      ],
    };
  },
  async decide(ctx, { payload: { incidentId, agentId }, choice }) {
    const { store, fleet, alerts: incidents } = ctx.services;
    const agent = store.agents.byId(agentId);
    if (!agent || agent.status === 'destroyed') throw new UserError('That agent no longer exists.');
    switch (choice) {
      case 'restart':
        fleet.restart({ agent, requester: ctx.principal, chat: ctx.chat });
        return { toast: `Restarting ${agent.name}; its progress card follows.` };
      case 'logs': {
        const lines = await fleet.logs(agent, 20);
        await ctx.reply(
          lines.length
            ? message(bold(`Last ${lines.length} log lines of ${agent.name}`), ...lines.map((l) => code(l)))
            : message(`${agent.name} has not logged anything.`),
        );
        return { toast: 'Sent the last log lines.' };
      }
      case 'ack':
        incidents.ack(incidentId, ctx.principal);
        return { toast: 'Acknowledged for 4 h.' };
      case 'mute': {
        const until = incidents.mute(incidentId, agentId);
        return { toast: `No new alerts about ${agent.name} until ${clockTime(until)}.` };
      }
    }
  },
  expired: () => message('This alert is closed.'),
});
