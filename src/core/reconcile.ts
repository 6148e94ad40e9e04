import type { Approvals } from './approvals.js';
import type { Clock } from './clock.js';
import { duration } from './format.js';
import type { Logger } from './logging.js';
import type { Messenger } from './messenger.js';
import { bold, message } from './outbound.js';
import type { Found, Provider } from './provider.js';
import type { Store } from './store/index.js';
import type { ChatRef } from './types.js';

export const orphanKind = 'orphan';
const reportedKey = 'reconcile:reported';

/**
 * Compares what each provider reports with the store. Orphans (something fleetbot made that no record
 * names) older than the safety window are reported once to the chats that follow all alerts, with a
 * Delete button for admins, or deleted at once when autoDelete is on. Agents whose resources are gone
 * are marked broken and reported. Nothing is deleted without a press unless autoDelete says so.
 */
export function createReconciler(deps: {
  store: Store;
  providers: Map<string, Provider>;
  approvals: Approvals;
  messenger: Messenger;
  clock: Clock;
  log: Logger;
  safetyWindowMs: number;
  autoDelete: boolean;
}) {
  const { store, clock, log } = deps;
  const reported = new Set<string>(JSON.parse(store.cursors.get(reportedKey) ?? '[]') as string[]);
  const remember = (key: string): void => {
    reported.add(key);
    store.cursors.set(reportedKey, JSON.stringify([...reported].slice(-1000)));
  };
  const teamChats = (): ChatRef[] =>
    store.subscriptions
      .all()
      .filter((s) => s.scope === 'all')
      .map((s) => s.chat);

  const tell = async (text: Parameters<typeof message>): Promise<void> => {
    for (const chat of teamChats()) {
      await deps.messenger
        .send(chat, message(...text))
        .catch((err: unknown) => log.warn({ err, chat }, 'could not report a reconciliation finding'));
    }
  };

  const reportOrphan = async (provider: Provider, found: Found): Promise<void> => {
    const age = duration(clock.now() - found.createdAt);
    if (deps.autoDelete && provider.removeFound) {
      await provider.removeFound(found);
      log.warn({ provider: provider.name, found }, 'deleted an orphan');
      await tell([
        [
          bold('🧹 Deleted an orphan'),
          `: ${found.description} on ${provider.name}, ${age} old, that no agent owned.`,
        ],
      ]);
      return;
    }
    for (const chat of teamChats()) {
      await deps.approvals
        .post({
          kind: orphanKind,
          payload: { provider: provider.name, found },
          chat,
          ttlMs: 7 * 24 * 3_600_000,
          card: (buttons) => ({
            ...message(
              bold(`🧐 ${found.description} on ${provider.name} belongs to no agent`),
              `fleetbot made it ${age} ago, but no agent's record names it, so it may cost money for nothing.`,
              'Delete it, or keep it and stop being told.',
            ),
            buttons: [
              [
                { id: buttons.delete!, label: 'Delete', style: 'danger' },
                { id: buttons.keep!, label: 'Keep' },
              ],
            ],
          }),
        })
        .catch((err: unknown) => log.warn({ err, chat }, 'could not report an orphan'));
    }
  };

  return {
    async run(): Promise<{ orphans: number; lost: number }> {
      let orphans = 0;
      let lostCount = 0;
      const agents = store.agents.list();
      for (const provider of deps.providers.values()) {
        if (!provider.inventory) continue;
        let result: Awaited<ReturnType<NonNullable<Provider['inventory']>>>;
        try {
          result = await provider.inventory(agents.filter((a) => a.provider === provider.name));
        } catch (err) {
          log.warn({ err, provider: provider.name }, 'could not take inventory; will try again');
          continue;
        }
        for (const found of result.found) {
          const key = `${provider.name}|${found.id}`;
          if (
            found.agentId !== undefined ||
            reported.has(key) ||
            clock.now() - found.createdAt < deps.safetyWindowMs
          )
            continue;
          orphans++;
          remember(key);
          await reportOrphan(provider, found);
        }
        for (const { agent, detail } of result.lost) {
          lostCount++;
          store.agents.update(agent.id, {
            status: 'broken',
            resources: { ...agent.resources, lost: detail },
          });
          log.warn({ agent: agent.name, detail }, 'agent lost');
          await tell([
            [
              bold(`⚠️ ${agent.name} is lost`),
              `: ${detail}. /destroy ${agent.name} clears its record and whatever is left.`,
            ],
          ]);
        }
      }
      return { orphans, lost: lostCount };
    },

    /** Deletes an orphan after an admin pressed Delete. */
    async remove(providerName: string, found: Found): Promise<void> {
      const provider = deps.providers.get(providerName);
      if (!provider?.removeFound) throw new Error(`provider ${providerName} cannot delete what it found`);
      await provider.removeFound(found);
    },
  };
}
export type Reconciler = ReturnType<typeof createReconciler>;
