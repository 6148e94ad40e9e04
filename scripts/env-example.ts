// Writes .env.example from the variable tables; test/config.test.ts fails while the file is stale.
import { writeFileSync } from 'node:fs';
import { variables } from '../src/config/index.js';
import { renderEnvExample } from '../src/config/envExample.js';

writeFileSync('.env.example', renderEnvExample(variables));
