import type { Clock } from '../clock.js';
import type { Logger } from '../logging.js';
import type { Messenger } from '../messenger.js';
import type { Store } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import { ChatUnreachableError, MessageGoneError } from '../types.js';
import { renderJobCard, type JobCopy } from './card.js';

/**
 * At start: the cards of jobs that ended while their end could not be shown (fleetbot was killed
 * before the edit went out, or the chat was down) are drawn again from the store. A card that is
 * gone, or in a chat that no longer takes messages, counts as done; other failures are tried again
 * at the next start.
 */
export async function redrawCardsBehind(deps: {
  store: Store;
  messenger: Messenger;
  clock: Clock;
  log: Logger;
  copyOf: (job: Job) => JobCopy;
}): Promise<void> {
  const { store } = deps;
  for (const job of store.jobs.cardsBehind()) {
    try {
      await deps.messenger.edit(
        { chat: job.chat, messageId: job.messageId! },
        renderJobCard(job, store.steps.forJob(job.id), deps.copyOf(job), deps.clock.now()),
      );
    } catch (err) {
      if (!(err instanceof MessageGoneError || err instanceof ChatUnreachableError)) {
        deps.log.warn({ err, jobId: job.id }, 'could not bring a finished job’s card up to date');
        continue;
      }
    }
    store.jobs.cardShown(job.id);
  }
}
