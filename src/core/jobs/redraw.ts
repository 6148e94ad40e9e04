import { createAudience } from '../access/audience.js';
import type { Clock } from '../runtime/clock.js';
import { createLiveMessage } from '../chat/liveMessage.js';
import type { Logger } from '../runtime/logging.js';
import type { Messenger } from '../chat/messenger.js';
import type { Store } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import { renderJobCard, type JobWording } from './card.js';

/**
 * At start: the cards of jobs that ended while their end could not be shown (fleetbot was killed
 * before the edit went out, or the chat was down) are drawn again from the store, each as a live
 * message: a flood wait is waited out, a gone card is posted anew, and a card that still could not be
 * drawn is tried again at the next start. A chat that may no longer be told is left as it is.
 */
export async function redrawCardsBehind(deps: {
  store: Store;
  messenger: Messenger;
  clock: Clock;
  log: Logger;
  wordingOf: (job: Job) => JobWording;
}): Promise<void> {
  const { store } = deps;
  const audience = createAudience(store);
  await Promise.all(
    store.jobs.cardsBehind().map(async (job) => {
      if (!audience.mayTellAsker(job.chat, job.requester)) return;
      const card = createLiveMessage({
        messenger: deps.messenger,
        chat: job.chat,
        clock: deps.clock,
        log: deps.log,
        existing: { chat: job.chat, messageId: job.messageId! },
        onMoved: (ref) => store.jobs.setMessage(job.id, ref.messageId),
      });
      card.update(renderJobCard(job, store.steps.forJob(job.id), deps.wordingOf(job), deps.clock.now()));
      await card.flush();
      if (card.delivered) store.jobs.cardShown(job.id);
      else
        deps.log.warn(
          { jobId: job.id },
          'could not bring a finished job’s card up to date; will try at the next start',
        );
    }),
  );
}
