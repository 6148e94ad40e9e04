import type { JobKind } from './define.js';
import { deployJob } from './deploy.js';
import { destroyJob } from './destroy.js';
import { imageJob } from './image.js';
import { restartJob } from './restart.js';

/** Every kind of job fleetbot runs; a job in the store names one of these in jobs.kind. */
export const jobKinds: readonly JobKind[] = [deployJob, destroyJob, restartJob, imageJob];

export const jobKindNamed = (kind: string): JobKind | undefined => jobKinds.find((k) => k.kind === kind);
