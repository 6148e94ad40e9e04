import type { Plan } from '../../src/core/jobs/plan.js';
import type { JobRequest } from '../../src/core/jobs/service.js';
import type { Store } from '../../src/core/store/index.js';

/** A job with no agent (an image build for swe) from Telegram chat 1, running `plan`. */
export const imageJob = (plan: Plan): JobRequest => ({
  kind: 'image',
  subject: 'image swe',
  requester: 'telegram:1',
  chat: { platform: 'telegram', chatId: '1' },
  plan,
  wording: { title: 'Build image for swe', retryHint: '', cleanupHint: [] },
  settle: () => undefined,
});

/** Records the person imageJob's jobs come from as an operator: a job's card is for someone with access. */
export const addRequester = (store: Store): void =>
  store.principals.upsert({
    platform: 'telegram',
    userId: '1',
    level: 'operator',
    source: 'chat',
    grantedBy: 'test',
  });
