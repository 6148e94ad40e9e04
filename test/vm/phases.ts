import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepRecord } from '../../src/core/store/steps.js';

export type Phase = { title: string; seconds: number };

/** The steps a card shows as done, with the duration it shows for each (`✅ Title · 12.3 s`). */
export const cardPhases = (card: string): Phase[] =>
  [...card.matchAll(/^✅ (?!Done: )(.+) · (\d+(?:\.\d+)?) s$/gm)].map((m) => ({
    title: m[1]!,
    seconds: Number(m[2]),
  }));

/** The moments (host clock, ms) the machine was ready for each waiting step, from its journal. */
export type GuestReady = { sshd: number; agent: number; certificate: number };

/**
 * How long fleetbot went on waiting after the machine was ready: the poll intervals of the SSH,
 * health and HTTPS waits. The rest of the deploy is the VM's own work or fleetbot's serial steps.
 */
export function pollWaiting(steps: StepRecord[], ready: GuestReady) {
  const end = (key: string): number => {
    const step = steps.find((s) => s.key === key);
    if (step?.finishedAt == null) throw new Error(`step ${key} did not finish`);
    return step.finishedAt;
  };
  const started = Math.min(...steps.map((s) => s.startedAt ?? Infinity));
  const finished = Math.max(...steps.map((s) => s.finishedAt ?? 0));
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  const waits = {
    ssh: seconds(end('ssh') - ready.sshd),
    health: seconds(end('health') - ready.agent),
    https: seconds(end('https') - ready.certificate),
  };
  const total = seconds(finished - started);
  const waited = waits.ssh + waits.health + waits.https;
  return {
    totalSeconds: total,
    waitsAfterReadySeconds: waits,
    share: Math.round((waited / total) * 1000) / 1000,
  };
}

/** Where a run leaves its phase timings, for BENCHMARKS.md. */
export const resultsFile = path.join(os.tmpdir(), 'fleetbot-vm-lab-results.json');

export function writeResults(results: Record<string, unknown>): void {
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
}
