import { benchmarks } from './benchmarks.js';
import { RESULT_PREFIX } from './row.js';

// One benchmark per process, so peak RSS and CPU time are that benchmark's alone.
const [id = '', ...flags] = process.argv.slice(2);
const load = benchmarks[id];
if (!load) throw new Error(`unknown benchmark ${id}; known: ${Object.keys(benchmarks).join(', ')}`);
const rows = await (await load())({ quick: flags.includes('--quick') });
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(rows)}\n`);
// Pools and child processes a library left behind must not keep the run waiting.
process.exit(0);
