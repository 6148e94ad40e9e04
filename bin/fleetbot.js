#!/usr/bin/env node
// The package's command: runs the compiled CLI (npm run build produces dist/), once it knows this
// Node.js is new enough. The check comes first: on an older Node, undici fails to load with a stack.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { nodeVersionProblem } from './requiredNode.js';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const problem = nodeVersionProblem(process.versions.node, engines.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
await import('../dist/cli.js');
