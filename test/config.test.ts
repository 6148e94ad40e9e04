import { renderEnvExample } from '../src/config/envExample.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, variables } from '../src/config/index.js';

describe('config', () => {
  it('has working defaults for a fresh machine', () => {
    const c = parseConfig({});
    expect(c.provider).toBe('local');
    expect(c.concurrency).toBe(4);
    expect(c.dbPath).toMatch(/data\/fleetbot\.db$/);
    expect(c.admins).toEqual([]);
  });

  it('parses id lists', () => {
    const c = parseConfig({
      FLEETBOT_ADMINS: 'telegram:123456789, slack:U0123ABCD',
      FLEETBOT_CHATS: 'telegram:-100123',
    });
    expect(c.admins).toEqual([
      { platform: 'telegram', id: '123456789' },
      { platform: 'slack', id: 'U0123ABCD' },
    ]);
    expect(c.chats).toEqual([{ platform: 'telegram', id: '-100123' }]);
  });

  it('stops on a bad value with one line naming the variable, the problem and an example', () => {
    const attempt = (): unknown => parseConfig({ FLEETBOT_CONCURRENCY: 'lots', FLEETBOT_ADMINS: 'bob' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const lines = (err as Error).message.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        /^FLEETBOT_ADMINS: each entry must look like platform:id \(got "bob"\); example: FLEETBOT_ADMINS=telegram:123456789,slack:U0123ABCD$/,
      );
      expect(lines[1]).toMatch(/^FLEETBOT_CONCURRENCY: .* \(got "lots"\); example: FLEETBOT_CONCURRENCY=4$/);
    }
    expect(() => parseConfig({ FLEETBOT_PROVIDER: 'aws' })).toThrow(
      /FLEETBOT_PROVIDER: .*example: FLEETBOT_PROVIDER=local/,
    );
  });

  it('keeps .env.example as the variable tables make it (npm run env-example), and every variable in the README', () => {
    const example = readFileSync('.env.example', 'utf8');
    expect(example, '.env.example is stale: run npm run env-example').toBe(renderEnvExample(variables));
    const readme = readFileSync('README.md', 'utf8');
    for (const [name, v] of Object.entries(variables)) {
      expect(example, name).toContain(`# ${v.help}\n# ${name}=${v.example}\n`);
      expect(readme, name).toContain(`| \`${name}\``);
    }
  });

  it('leaves every variable commented out in .env.example, so a copied env file overrides nothing', () => {
    const set = readFileSync('.env.example', 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(set).toEqual([]);
  });
});
