import { describe, expect, it } from 'vitest';
import { bindArgs, parseCommandLine, tokenize } from '../src/core/router/commandLine.js';

describe('parseCommandLine', () => {
  it('reads /cmd, /cmd@bot and arguments', () => {
    expect(parseCommandLine('/deploy swe alice')).toEqual({
      ok: true,
      line: { name: 'deploy', tokens: ['swe', 'alice'] },
    });
    expect(parseCommandLine('  /Deploy@FleetBot swe   alice ')).toEqual({
      ok: true,
      line: { name: 'deploy', botName: 'FleetBot', tokens: ['swe', 'alice'] },
    });
  });

  it('honours quotes, including the curly ones phones type', () => {
    expect(tokenize(`a "b c" 'd e' "f \\"g\\""`)).toEqual({ ok: true, tokens: ['a', 'b c', 'd e', 'f "g"'] });
    expect(tokenize('say “hello world” ‘x y’')).toEqual({ ok: true, tokens: ['say', 'hello world', 'x y'] });
    expect(tokenize('""')).toEqual({ ok: true, tokens: [''] });
  });

  it('refuses an unclosed quote with a hint', () => {
    const r = parseCommandLine('/deploy "swe alice');
    expect(r).toEqual({
      ok: false,
      error: expect.stringMatching(/quote is not closed.*matching quotes/) as string,
    });
  });

  it('tells plain text from commands and refuses garbage politely', () => {
    expect(parseCommandLine('hello')).toEqual({ ok: false, notCommand: true });
    expect(parseCommandLine('')).toEqual({ ok: false, notCommand: true });
    expect(parseCommandLine('/')).toMatchObject({
      ok: false,
      error: expect.stringContaining('/help') as string,
    });
    expect(parseCommandLine('/$(rm -rf /)')).toMatchObject({
      ok: false,
      error: expect.stringContaining('/help') as string,
    });
  });

  it('refuses a 100 kB message without tokenizing it', () => {
    const r = parseCommandLine(`/deploy ${'a'.repeat(100_000)}`);
    expect(r).toMatchObject({
      ok: false,
      error: expect.stringMatching(/too long .*100008 characters.*4096/) as string,
    });
  });

  it('keeps shell metacharacters and unicode as plain text and drops control characters', () => {
    const r = parseCommandLine('/deploy swe a;b`c`$(d)|e ünï\u0007');
    expect(r).toEqual({ ok: true, line: { name: 'deploy', tokens: ['swe', 'a;b`c`$(d)|e', 'ünï'] } });
  });
});

describe('bindArgs', () => {
  const spec = {
    positional: ['name', 'extra?'],
    flags: { n: { type: 'value' as const, short: 'n' }, all: { type: 'boolean' as const } },
  };

  it('binds positionals and flags in any order', () => {
    expect(bindArgs(['-n', '5', 'alice', '--all'], spec)).toEqual({
      ok: true,
      values: { n: '5', name: 'alice', all: true },
    });
    expect(bindArgs(['alice', '--n=7', 'x'], spec)).toEqual({
      ok: true,
      values: { n: '7', name: 'alice', extra: 'x' },
    });
    expect(bindArgs(['--', '--weird'], spec)).toEqual({ ok: true, values: { name: '--weird' } });
  });

  it('binds the remaining words to a last name... as a list, and leaves it out when there are none', () => {
    const listing = {
      positional: ['action?', 'name?', 'scopes...'],
      flags: { ttl: { type: 'value' as const } },
    };
    expect(bindArgs(['create', 'ci', 'agents:read', '--ttl', '90d', 'admin'], listing)).toEqual({
      ok: true,
      values: { action: 'create', name: 'ci', scopes: ['agents:read', 'admin'], ttl: '90d' },
    });
    expect(bindArgs(['revoke', 'ci'], listing)).toEqual({
      ok: true,
      values: { action: 'revoke', name: 'ci' },
    });
    expect(bindArgs([], listing)).toEqual({ ok: true, values: {} });
  });

  it('names what is wrong', () => {
    expect(bindArgs([], spec)).toEqual({ ok: false, error: 'Missing <name>.' });
    expect(bindArgs(['a', 'b', 'c'], spec)).toEqual({ ok: false, error: 'Too many arguments: c.' });
    expect(bindArgs(['a', '--bogus'], spec)).toEqual({
      ok: false,
      error: 'Unknown option --bogus. Options: --n, --all.',
    });
    expect(bindArgs(['a', '-n'], spec)).toEqual({ ok: false, error: 'Option --n needs a value.' });
    expect(bindArgs(['a', '--all=yes'], spec)).toEqual({ ok: false, error: 'Option --all takes no value.' });
    expect(bindArgs(['a', '-n', '1', '-n', '2'], spec)).toEqual({
      ok: false,
      error: 'Option --n is given twice.',
    });
  });
});
