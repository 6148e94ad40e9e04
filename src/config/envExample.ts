import type { Variables } from './variables.js';

const header = [
  '# fleetbot reads these from the environment, or from a .env file in the folder it starts in.',
  '# Generated from the variable tables of src/config and of every provider and bridge module',
  '# (npm run env-example). Every variable is optional and commented out, so a copy used as an',
  "# EnvironmentFile= never overrides a service unit's own settings: uncomment what you set.",
  '# With none set, `npm start` runs on the console with local agents.',
];

const footer = [
  '# Secrets that roles ask for are passed to their agents (never logged, never in chat).',
  '# ANTHROPIC_API_KEY=',
];

/** `.env.example` as the variable tables describe it: each variable's help, then its example, commented. */
export function renderEnvExample(variables: Variables): string {
  const blocks = Object.entries(variables).map(([name, v]) => `# ${v.help}\n# ${name}=${v.example}`);
  return [header.join('\n'), ...blocks, footer.join('\n')].join('\n\n') + '\n';
}
