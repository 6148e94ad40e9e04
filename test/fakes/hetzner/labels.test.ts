import { describe, expect, it } from 'vitest';
import { LabelSelectorError, labelKeyProblem, parseLabelSelector } from './labels.js';

const web = { 'managed-by': 'fleetbot', env: 'prod', 'fleetbot.dev/role': 'web' };
const bare = { env: '' };

describe('parseLabelSelector', () => {
  it.each([
    ['', true, true],
    ['managed-by=fleetbot', true, false],
    ['managed-by==fleetbot', true, false],
    ['env!=prod', false, true],
    ['env', true, true],
    ['!env', false, false],
    ['!missing', true, true],
    ['env=', false, true],
    ['fleetbot.dev/role=web', true, false],
    ['env in (staging,prod)', true, false],
    ['env in (staging, prod ),managed-by', true, false],
    ['env notin (prod)', false, true],
    ['managed-by=fleetbot,env=staging', false, false],
    [' managed-by = fleetbot , !legacy ', true, false],
  ])('%j matches %s / %s', (selector, onWeb, onBare) => {
    const matches = parseLabelSelector(selector);

    expect(matches(web)).toBe(onWeb);
    expect(matches(bare)).toBe(onBare);
  });

  it.each(['env in prod', 'env=a=b', '=x', 'a,,b', 'env in (a,b', '-bad=x'])('refuses %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(LabelSelectorError);
  });
});

describe('labelKeyProblem', () => {
  it('accepts plain and prefixed keys and refuses malformed or reserved ones', () => {
    expect(labelKeyProblem('managed-by')).toBeUndefined();
    expect(labelKeyProblem('fleetbot.dev/agent_name')).toBeUndefined();
    expect(labelKeyProblem('bad key')).toMatch(/not a valid key/);
    expect(labelKeyProblem(`${'a'.repeat(64)}`)).toMatch(/not a valid key/);
    expect(labelKeyProblem('hetzner.cloud/x')).toMatch(/reserved/);
  });
});
