import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** Global setup of the hostile-agent suite: hands out the tally file, prints the one summary line. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbot-security-'));
  const file = join(dir, 'tally');
  project.provide('securityTallyFile', file);
  return () => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // No attack was recorded.
    }
    rmSync(dir, { recursive: true, force: true });
    const lines = text.split('\n').filter(Boolean);
    const succeeded = lines
      .filter((l) => l.startsWith('succeeded '))
      .map((l) => l.slice('succeeded '.length));
    for (const attack of succeeded) console.log(`security: SUCCEEDED: ${attack}`);
    console.log(`security: attempts ${lines.length}, succeeded ${succeeded.length}`);
    // A throw here is only logged; the exit code is what CI sees. No attempt at all is a broken suite.
    if (succeeded.length > 0 || lines.length === 0) process.exitCode = 1;
  };
}
