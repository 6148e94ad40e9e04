import type { Clock } from '../runtime/clock.js';
import { agentsRepo } from './agents.js';
import { apiKeysRepo } from './apiKeys.js';
import { auditRepo } from './audit.js';
import { chatsRepo } from './chats.js';
import { conversationsRepo } from './conversations.js';
import { cursorsRepo } from './cursors.js';
import { openDb, type Db } from './db.js';
import { jobsRepo } from './jobs.js';
import { healthRepo } from './health.js';
import { idempotencyRepo } from './idempotency.js';
import { incidentsRepo } from './incidents.js';
import { pairingRepo } from './pairing.js';
import { principalsRepo } from './principals.js';
import { promptsRepo } from './prompts.js';
import { stepsRepo } from './steps.js';
import { subscriptionsRepo } from './subscriptions.js';

export function createStore(db: Db, clock: Clock) {
  const audit = auditRepo(db, clock);
  return {
    db,
    agents: agentsRepo(db, clock),
    jobs: jobsRepo(db, clock),
    steps: stepsRepo(db, clock),
    principals: principalsRepo(db, clock),
    chats: chatsRepo(db, clock),
    cursors: cursorsRepo(db, clock),
    audit,
    prompts: promptsRepo(db, clock),
    pairing: pairingRepo(db, clock),
    health: healthRepo(db, clock),
    incidents: incidentsRepo(db, clock),
    subscriptions: subscriptionsRepo(db, clock),
    conversations: conversationsRepo(db, clock),
    apiKeys: apiKeysRepo(db, clock),
    idempotency: idempotencyRepo(db, clock),
    /** Runs fn in one transaction: writes that belong together land together or not at all. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
    close(): void {
      audit.flush();
      db.close();
    },
  };
}
export type Store = ReturnType<typeof createStore>;

export const openStore = (file: string, clock: Clock): Store => createStore(openDb(file), clock);
