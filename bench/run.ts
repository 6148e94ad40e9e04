import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarks } from './benchmarks.js';
import { met, RESULT_PREFIX, type Row } from './row.js';
import { renderTable } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));

/** Runs one benchmark in a fresh Node process (with tsx) and returns its rows. */
function runChild(id: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'child.ts'), id, ...(quick ? ['--quick'] : [])],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`benchmark ${id} exited with ${code}:\n${out.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Row[]);
    });
  });
}

// Other work on the machine moves latency and CPU-bound figures most; the load is kept with them.
const loadBefore = loadavg();
const rows: Row[] = [];
for (const id of only.length > 0 ? only : Object.keys(benchmarks)) {
  const started = performance.now();
  process.stderr.write(`${id}…`);
  rows.push(...(await runChild(id)));
  process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
console.log(renderTable(rows));
writeFileSync(
  path.join(here, 'results.json'),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      quick,
      machine: { cpus: cpus().length, memoryMB: Math.round(totalmem() / 2 ** 20), node: process.version },
      loadAverage: { before: loadBefore, after: loadavg() },
      rows: rows.map((r) => ({ ...r, met: met(r) })),
    },
    null,
    2,
  )}\n`,
);
// The quick run is a smoke test of the benchmarks themselves at small counts; only a full run's
// figures are held to the targets.
if (!quick && !rows.every(met)) process.exitCode = 1;
