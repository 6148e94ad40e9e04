import type { Plan } from '../../src/core/jobs/plan.js';
import type { JobRequest } from '../../src/core/jobs/service.js';

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
