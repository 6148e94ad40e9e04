import { describe, it } from 'vitest';
import { useCleanups } from '../support/cleanups.js';
import {
  expectStepRollsBack,
  leftovers,
  startHetznerBot,
  stepFaults,
  type StepFault,
} from '../support/hetznerDeploy.js';
import { count } from './tally.js';

// Outlasts every retry of any call, so the step can only fail.
const persistent = 1_000;

/** The API steps again, failing with an error the clients do retry, until the retries run out. */
const serverErrors: StepFault[] = [
  { step: 'Create server', method: 'POST', path: '/servers' },
  { step: 'Wait for server to run', method: 'GET', path: /^\/servers\/\d+$/ },
].map(({ step, method, path }) => ({
  step,
  error: /injected/,
  inject: (c, times) =>
    c.hetzner.failNext({ method, path }, { status: 503, code: 'unavailable', message: 'injected' }, times),
}));
serverErrors.push({
  step: 'Create DNS record alice.agents.example.test',
  error: /injected/,
  inject: (c, times) =>
    c.cloudflare.failNext({ method: 'POST' }, { status: 500, code: 10001, message: 'injected' }, times),
});

describe('a step that fails for good rolls the whole deploy back', () => {
  const defer = useCleanups();

  it.each([...stepFaults, ...serverErrors])('$step: $error', async (stepFault) => {
    const bot = await startHetznerBot(defer);
    count('faults');
    try {
      await expectStepRollsBack(bot, stepFault, persistent);
    } finally {
      count('leaked', leftovers(bot));
    }
  });
});
