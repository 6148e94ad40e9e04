import { describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/index.js';
import { bindArgs, parseCommandLine } from '../../src/core/router/commandLine.js';
import { hostileText } from './support/hostile.js';
import { fuzzRng } from './support/random.js';
import { count } from './tally.js';

const inputs = 5_000;

describe('the command-line parser under hostile input', () => {
  it(`parses and binds ${inputs} random lines without throwing, and says what is wrong with each bad one`, () => {
    const rng = fuzzRng('commandLine');
    for (let i = 0; i < inputs; i++) {
      const text = hostileText(rng);
      const parsed = parseCommandLine(text);
      count('inputs');
      if (!parsed.ok) {
        if ('error' in parsed) expect(parsed.error.trim(), text).not.toBe('');
        continue;
      }
      expect(parsed.line.name, text).toMatch(/^\S+$/);
      const spec = commands.find((c) => c.name === parsed.line.name) ?? rng.pick(commands);
      const bound = bindArgs(parsed.line.tokens, spec);
      if (!bound.ok) {
        expect(bound.error.trim(), text).not.toBe('');
        continue;
      }
      const checked = spec.args.safeParse(bound.values);
      if (!checked.success) expect(checked.error.issues.length, text).toBeGreaterThan(0);
    }
  });
});
