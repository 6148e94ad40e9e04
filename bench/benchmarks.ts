import type { Benchmark } from './row.js';

/** Every benchmark by id, loaded only in the process that runs it. */
export const benchmarks: Record<string, () => Promise<Benchmark>> = {
  B1: async () => (await import('./b1-commandLatency.js')).commandLatency,
  B2: async () => (await import('./b2-deployCriticalPath.js')).deployCriticalPath,
  B3: async () => (await import('./b3-hetznerRequests.js')).hetznerRequests,
  B4: async () => (await import('./b4-concurrentDeploys.js')).concurrentDeploys,
  B5: async () => (await import('./b5-oneChatJobs.js')).oneChatJobs,
  B6: async () => (await import('./b6-monitorCycle.js')).monitorCycle,
  B7: async () => (await import('./b7-startup.js')).startup,
  B8: async () => (await import('./b8-answerStreaming.js')).answerStreaming,
  B9: async () => (await import('./b9-api.js')).apiLatency,
  B10: async () => (await import('./b10-dockerDeploys.js')).dockerDeploys,
};
