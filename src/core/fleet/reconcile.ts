import type { Approvals } from '../prompts/approvals.js';
import type { PromptDefinition } from '../prompts/definePrompt.js';
import type { Clock } from '../runtime/clock.js';
import { duration } from '../chat/format.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import { bold, message } from '../chat/outbound.js';
import { UserError } from '../runtime/errors.js';
import type { Found, Provider } from './provider.js';
import type { Agent } from '../store/agents.js';
import type { Store } from '../store/index.js';
import { createAudience } from '../access/audience.js';

/** What an orphan card shows: what was found where, as of now. */
export type OrphanView = { provider: string; found: Found; now: number };
const reportedKey = 'reconcile:reported';

/**
 * Compares what each provider reports with the store. Orphans (something fleetbot made that no record
 * names) older than the safety window are reported once to the chats that follow all alerts, with a
 * Delete button for admins (and Adopt, where the provider can tell whose it was), or deleted at once
 * when autoDelete is on. Agents whose resources are gone are marked lost and reported. Nothing is deleted without a press unless autoDelete says so.
 */
export function createReconciler(deps: {
  store: Store;
  providers: Map<string, Provider>;
  approvals: Approvals;
  /** The card that offers Delete, Adopt or Keep for an orphan (src/prompts/orphan.ts). */
  card: PromptDefinition<readonly [string, ...string[]], { provider: string; found: Found }, OrphanView>;
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
  const audience = createAudience(store);

  const tell = async (text: Parameters<typeof message>): Promise<void> => {
    for (const chat of audience.team()) {
      await deps.messenger
        .send(chat, message(...text))
        .catch((err: unknown) => log.warn({ err, chat }, 'could not report a reconciliation finding'));
    }
  };

  const reportOrphan = async (provider: Provider, found: Found): Promise<void> => {
    const now = clock.now();
    if (deps.autoDelete && provider.removeFound) {
      await provider.removeFound(found);
      log.warn({ provider: provider.name, found }, 'deleted an orphan');
      await tell([
        [
          bold('🧹 Deleted an orphan'),
          `: ${found.description} on ${provider.name}, ${duration(now - found.createdAt)} old, that no agent owned.`,
        ],
      ]);
      return;
    }
    for (const chat of audience.team()) {
      await deps.approvals
        .post(deps.card, {
          payload: { provider: provider.name, found },
          view: { provider: provider.name, found, now },
          chat,
          ttlMs: 7 * 24 * 3_600_000,
        })
        .catch((err: unknown) => log.warn({ err, chat }, 'could not report an orphan'));
    }
  };

  /** The adopted agent's name: the one on its labels, unless a live agent holds it already. */
  const freeName = (wanted: string, id: string): string => {
    if (!store.agents.live(wanted)) return wanted;
    const suffix = id.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return `${wanted.slice(0, 31 - suffix.length)}-${suffix}`.replace(/-+/g, '-');
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
          if (agent.status === 'lost') continue;
          lostCount++;
          store.agents.update(agent.id, { status: 'lost', resources: { ...agent.resources, lost: detail } });
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

    /** Records an orphan as an agent after an admin pressed Adopt, so it is listed, watched and destroyable. */
    async adopt(providerName: string, found: Found, owner: string): Promise<Agent> {
      const adoption = found.adoptAs;
      const provider = deps.providers.get(providerName);
      if (!provider?.adoptFound || !adoption)
        throw new UserError(`fleetbot cannot adopt ${found.description}; Delete it or Keep it instead.`);
      const resources = await provider.adoptFound(found);
      const agent = store.agents.create({
        name: freeName(adoption.name, found.id),
        role: adoption.role,
        provider: providerName,
        owner,
      });
      // Broken, not running: it is listed and destroyable, but the monitor cannot vouch for what runs there.
      store.agents.update(agent.id, { status: 'broken', resources: { ...resources, adopted: true } });
      log.warn({ provider: providerName, found, agent: agent.name }, 'adopted an orphan');
      return store.agents.byId(agent.id)!;
    },
  };
}
export type Reconciler = ReturnType<typeof createReconciler>;
