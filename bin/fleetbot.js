#!/usr/bin/env node
// The package's command: runs the compiled CLI (npm run build produces dist/).
await import('../dist/cli.js');
