import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { tallies, type Tally } from './tally.js';

function totals(file: string): Record<Tally, number> {
  const sums = Object.fromEntries(tallies.map((t) => [t, 0])) as Record<Tally, number>;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No test counted anything.
  }
  for (const line of text.split('\n')) {
    const [tally, n] = line.split(' ');
    if (tallies.includes(tally as Tally)) sums[tally as Tally] += Number(n);
  }
  return sums;
}

/** Global setup of the fault suite: hands the tally file to every test file, prints the one summary line. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbot-faults-'));
  const file = join(dir, 'tally');
  project.provide('faultTallyFile', file);
  return () => {
    const t = totals(file);
    rmSync(dir, { recursive: true, force: true });
    console.log(
      `faults: kills survived ${t.kills}, faults injected ${t.faults}, inputs fuzzed ${t.inputs}, resources leaked ${t.leaked}`,
    );
    // A throw here is only logged; the exit code is what CI sees.
    if (t.leaked > 0) process.exitCode = 1;
  };
}
