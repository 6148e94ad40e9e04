import type { Approvals } from '../prompts/approvals.js';
import type { PromptDefinition } from '../prompts/definePrompt.js';
import type { Clock } from '../runtime/clock.js';
import { createLiveMessage, type LiveMessage } from '../chat/liveMessage.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import { bold, code, message } from '../chat/outbound.js';
import type { RunOutcome } from '../jobs/runner.js';
import type { Agent } from '../store/agents.js';
import type { HealthRecord } from '../store/health.js';
import type { Incident } from '../store/incidents.js';
import type { Store } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import { createAudience } from '../access/audience.js';
import { isFlapping, type Thresholds, type Transition } from './states.js';

/** What an alert card shows: the incident, its agent and how the agent's checks went. */
export type AlertView = {
  incident: Incident;
  agent: Agent;
  health: HealthRecord | undefined;
  now: number;
  flapWindowMs: number;
};
const ackForMs = 4 * 3_600_000;
const muteForMs = 3_600_000;

/**
 * Incidents and the alert cards about them: a down agent opens one incident, each subscribed chat gets
 * one card that is edited as the incident evolves (error, ack, mute, flapping) and left in its final
 * state when the agent recovers.
 */
export function createAlerts(deps: {
  store: Store;
  approvals: Approvals;
  /** The card posted to each chat that follows the agent (src/prompts/alert.ts). */
  card: PromptDefinition<readonly [string, ...string[]], { incidentId: number; agentId: number }, AlertView>;
  messenger: Messenger;
  clock: Clock;
  log: Logger;
  thresholds: Thresholds;
}) {
  const { store, clock, log } = deps;
  const cards = new Map<string, LiveMessage>();

  const audience = createAudience(store);

  const viewOf = (incident: Incident, agent: Agent): AlertView => ({
    incident,
    agent,
    health: store.health.get(agent.id),
    now: clock.now(),
    flapWindowMs: deps.thresholds.flapWindowMs,
  });

  /** Brings every card of the incident up to date (edits are coalesced per card). */
  const refresh = (incident: Incident): void => {
    const agent = store.agents.byId(incident.agentId);
    if (!agent) return;
    for (const m of store.incidents.messages(incident.id)) {
      if (!audience.mayReceive(m.chat)) continue;
      const key = `${incident.id}|${m.chat.platform}:${m.chat.chatId}`;
      let card = cards.get(key);
      if (!card) {
        card = createLiveMessage({
          messenger: deps.messenger,
          chat: m.chat,
          clock,
          log,
          existing: { chat: m.chat, messageId: m.messageId },
        });
        cards.set(key, card);
      }
      card.update(deps.approvals.draw(deps.card, m.promptId, viewOf(incident, agent)));
    }
  };

  const announce = async (incident: Incident, agent: Agent): Promise<void> => {
    for (const chat of audience.followers(agent)) {
      try {
        const posted = await deps.approvals.post(deps.card, {
          payload: { incidentId: incident.id, agentId: agent.id },
          view: viewOf(incident, agent),
          chat,
          ttlMs: 30 * 24 * 3_600_000,
        });
        store.incidents.addMessage(incident.id, {
          chat,
          messageId: posted.ref.messageId,
          promptId: posted.promptId,
        });
      } catch (err) {
        log.warn({ err, chat, agent: agent.name }, 'could not post an alert');
      }
    }
  };

  const resolve = (incident: Incident): void => {
    store.incidents.resolve(incident.id);
    for (const m of store.incidents.messages(incident.id)) deps.approvals.close(m.promptId, 'resolved');
    const resolved = store.incidents.byId(incident.id)!;
    refresh(resolved);
  };

  return {
    async onTransition(agent: Agent, record: HealthRecord, transition: Transition): Promise<void> {
      const open = store.incidents.openFor(agent.id);
      const now = clock.now();
      if (transition === 'went-down') {
        if (open) {
          // Down again before the last outage was closed: that is flapping, one card for all of it.
          store.incidents.update(open.id, {
            lastError: record.lastError,
            flapping: open.flapping || isFlapping(record, deps.thresholds),
          });
          refresh(store.incidents.byId(open.id)!);
          return;
        }
        const opened = store.incidents.open(agent.id, record.lastError);
        if (isFlapping(record, deps.thresholds)) store.incidents.update(opened.id, { flapping: true });
        const incident = store.incidents.byId(opened.id)!;
        log.warn({ agent: agent.name, error: record.lastError }, 'agent is down');
        if (record.mutedUntil && record.mutedUntil > now) return;
        await announce(incident, agent);
        return;
      }
      if (!open) return;
      if (transition === 'still-down' && record.lastError !== open.lastError && record.state === 'down') {
        store.incidents.update(open.id, { lastError: record.lastError });
        refresh(store.incidents.byId(open.id)!);
      }
      if (transition === 'recovered') {
        if (open.flapping || isFlapping(record, deps.thresholds)) {
          store.incidents.update(open.id, { flapping: true });
          refresh(store.incidents.byId(open.id)!);
          return;
        }
        log.info({ agent: agent.name }, 'agent recovered');
        resolve(open);
      }
    },

    /** Closes flapping incidents once the agent has stayed up for a whole flap window. */
    settleFlapping(): void {
      const now = clock.now();
      for (const [agentId, record] of store.health.all()) {
        const open = store.incidents.openFor(agentId);
        if (!open?.flapping || record.state !== 'healthy') continue;
        const lastDown = record.downs.at(-1) ?? 0;
        if (now - lastDown >= deps.thresholds.flapWindowMs) resolve(open);
      }
    },

    ack(incidentId: number, by: string): void {
      store.incidents.ack(incidentId, by, clock.now() + ackForMs);
      refresh(store.incidents.byId(incidentId)!);
    },

    mute(incidentId: number, agentId: number): number {
      const until = clock.now() + muteForMs;
      const record = store.health.get(agentId);
      if (record) store.health.saveAll([{ ...record, mutedUntil: until }]);
      refresh(store.incidents.byId(incidentId)!);
      return until;
    },

    /** The agent runs somewhere else now (its provider moved it): its followers are told where. */
    async moved(agent: Agent, from: string, to: string): Promise<void> {
      log.info({ agent: agent.name, from, to }, 'agent moved');
      for (const chat of audience.followers(agent))
        await deps.messenger
          .send(chat, message([bold(`🔀 ${agent.name} moved`), `: it runs on ${to} now (was ${from}).`]))
          .catch((err: unknown) => log.warn({ err, chat }, 'could not tell of a move'));
    },

    /** A failed job is worth telling the chats that follow its agent, besides the chat that ran it. */
    async jobFinished(job: Job, outcome: RunOutcome): Promise<void> {
      if (outcome.status === 'succeeded' || outcome.status === 'cancelled' || job.agentId === null) return;
      const agent = store.agents.byId(job.agentId);
      if (!agent) return;
      for (const chat of audience.followers(agent)) {
        if (chat.platform === job.chat.platform && chat.chatId === job.chat.chatId) continue;
        await deps.messenger
          .send(
            chat,
            message([
              bold(`❌ ${job.kind} of ${agent.name} failed`),
              ` (job #${job.id}): `,
              code(outcome.error ?? 'unknown error'),
            ]),
          )
          .catch((err: unknown) => log.warn({ err, chat }, 'could not route a job failure'));
      }
    },

    /** Waits until every alert card shows its newest state. */
    flush: async (): Promise<void> => {
      await Promise.all([...cards.values()].map((c) => c.flush()));
    },
  };
}
export type Alerts = ReturnType<typeof createAlerts>;
