import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checks, runDoctor } from '../src/cli/doctor.js';
import { parseConfig } from '../src/config/index.js';
import { writeFileSync } from 'node:fs';
import { generateHostKey } from '../src/providers/ssh/hostKey.js';
import { startFakeCloudflare } from './fakes/cloudflare/index.js';
import { startFakeHetzner } from './fakes/hetzner/index.js';
import { startFakeSlack } from './fakes/slack/index.js';
import { startFakeTelegram } from './fakes/telegram/index.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

describe('fleetbot doctor', () => {
  const defer = useCleanups();

  it('doctor is all green against working services and names each broken credential with its fix', async () => {
    const fake = await startFakeTelegram();
    defer(() => fake.close());
    const tmp = tempDir();
    defer(tmp.cleanup);
    const env = {
      FLEETBOT_DATA_DIR: tmp.dir,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      // Green whether or not this machine can start a bubblewrap sandbox (the next test covers both).
      FLEETBOT_LOCAL_UNSANDBOXED: 'true',
    };
    const lines: string[] = [];
    expect(await runDoctor(parseConfig(env), (l) => lines.push(l))).toBe(true);
    expect(lines).toEqual([
      `✓ store: ${path.join(tmp.dir, 'fleetbot.db')} is writable`,
      '✓ roles: 6 roles: claude-code, codex, gemini, opencode, research, swe',
      `✓ telegram: token works: the bot is @${fake.botUsername}`,
      expect.stringMatching(/^✓ local sandbox: local agents run (in a bubblewrap sandbox|unsandboxed)/),
    ]);

    const broken: string[] = [];
    expect(
      await runDoctor(parseConfig({ ...env, TELEGRAM_BOT_TOKEN: '999:wrong' }), (l) => broken.push(l)),
    ).toBe(false);
    expect(broken[2]).toBe(
      '✗ telegram: TELEGRAM_BOT_TOKEN was refused (401). Fix: get the token again from @BotFather (/token) and set TELEGRAM_BOT_TOKEN',
    );

    const unreachable: string[] = [];
    expect(
      await runDoctor(parseConfig({ ...env, TELEGRAM_API_ROOT: 'http://127.0.0.1:9' }), (l) =>
        unreachable.push(l),
      ),
    ).toBe(false);
    expect(unreachable[2]).toMatch(
      /^✗ telegram: cannot reach the Bot API at http:\/\/127\.0\.0\.1:9: .*Fix: check the network, or TELEGRAM_API_ROOT/,
    );

    const roles: string[] = [];
    expect(
      await runDoctor(parseConfig({ ...env, FLEETBOT_ROLES_DIR: '/nonexistent' }), (l) => roles.push(l)),
    ).toBe(false);
    expect(roles[1]).toMatch(/^✗ roles: FLEETBOT_ROLES_DIR: cannot read \/nonexistent.*Fix:/);

    // Asynchronously: the fake answering the doctor lives in this process.
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'doctor'], {
        env: { PATH: process.env.PATH, ...env, TELEGRAM_BOT_TOKEN: '999:wrong' },
      });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.on('exit', (code) => resolve({ code, stdout }));
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ telegram: TELEGRAM_BOT_TOKEN was refused (401)');
  });

  it('doctor fails on local agents that would run unsandboxed beside a chat platform, saying what to do', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const config = parseConfig({ FLEETBOT_DATA_DIR: tmp.dir, TELEGRAM_BOT_TOKEN: '123:abc' });
    const missing = { available: false as const, reason: 'bwrap is not installed' };
    const local = { ...config.providers.local!, sandbox: missing };
    const sandboxLine = checks.filter((c) => c.name === 'local sandbox');
    const lines: string[] = [];
    const ok = await runDoctor(
      { ...config, providers: { ...config.providers, local } },
      (l) => lines.push(l),
      sandboxLine,
    );
    expect(ok).toBe(false);
    expect(lines).toEqual([
      expect.stringMatching(
        /^✗ local sandbox: local agents cannot be sandboxed \(bwrap is not installed\), and with telegram configured .*; local deploys are refused\. Fix: apt-get install bubblewrap/,
      ),
    ]);
  });

  it('doctor checks Slack, Hetzner, Cloudflare and the SSH key against their APIs', async () => {
    const slack = await startFakeSlack();
    const hetzner = await startFakeHetzner({ token: 'h'.repeat(64) });
    const cloudflare = await startFakeCloudflare({ token: 'c'.repeat(40) });
    defer(() => slack.close());
    defer(() => hetzner.close());
    defer(() => cloudflare.close());
    const tmp = tempDir();
    defer(tmp.cleanup);
    const keyFile = path.join(tmp.dir, 'id_ed25519');
    writeFileSync(keyFile, generateHostKey('doctor').privateKey, { mode: 0o600 });
    const env = {
      FLEETBOT_DATA_DIR: tmp.dir,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      HCLOUD_TOKEN: hetzner.token,
      HCLOUD_ENDPOINT: hetzner.endpoint,
      CLOUDFLARE_API_TOKEN: cloudflare.token,
      CLOUDFLARE_ZONE_ID: cloudflare.zoneId,
      CLOUDFLARE_API_BASE: cloudflare.apiBase,
      FLEETBOT_DOMAIN: 'agents.example.test',
      FLEETBOT_SSH_KEY: keyFile,
    };
    const lines: string[] = [];
    expect(await runDoctor(parseConfig(env), (l) => lines.push(l))).toBe(true);
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(/^✓ slack: token works: the bot is @\S+ in /),
      '✓ hetzner: token works: 0 fleetbot servers in the project',
      `✓ cloudflare: token works for zone ${cloudflare.zoneId} (agents.example.test)`,
      `✓ ssh key: ${keyFile} is readable (ssh-ed25519)`,
    ]);

    const broken: string[] = [];
    const ok = await runDoctor(
      parseConfig({
        ...env,
        SLACK_BOT_TOKEN: 'xoxb-1111111111-wrong-token',
        HCLOUD_TOKEN: 'x'.repeat(64),
        CLOUDFLARE_API_TOKEN: 'y'.repeat(40),
        FLEETBOT_SSH_KEY: '/nonexistent/key',
      }),
      (l) => broken.push(l),
    );
    expect(ok).toBe(false);
    expect(broken[2]).toBe(
      '✗ slack: SLACK_BOT_TOKEN was refused (invalid_auth). Fix: copy the Bot User OAuth Token (xoxb-…) again from the app’s OAuth & Permissions page',
    );
    expect(broken[3]).toMatch(/^✗ hetzner: .*HCLOUD_TOKEN/);
    expect(broken[4]).toMatch(/^✗ cloudflare: .*CLOUDFLARE_API_TOKEN/);
    expect(broken[5]).toBe(
      '✗ ssh key: FLEETBOT_SSH_KEY: cannot read /nonexistent/key; point it at a private key file fleetbot may read.',
    );
    expect(broken.join('\n')).not.toContain('x'.repeat(64));
  });

  it('doctor tells which SSH host has no pinned key and how to pin it', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const knownHosts = path.join(tmp.dir, 'known_hosts');
    const key = generateHostKey('lab1').publicKey;
    writeFileSync(knownHosts, `203.0.113.7 ${key}\n`);
    const env = {
      FLEETBOT_DATA_DIR: tmp.dir,
      FLEETBOT_SSH_HOSTS: 'lab1=agent@203.0.113.7,lab2=root@198.51.100.4:2222',
      FLEETBOT_SSH_KNOWN_HOSTS: knownHosts,
    };
    const lines: string[] = [];
    expect(await runDoctor(parseConfig(env), (l) => lines.push(l))).toBe(false);
    expect(lines.find((l) => l.includes('ssh hosts'))).toMatch(
      /^✗ ssh hosts: no pinned host key for lab2\. Fix: fleetbot never trusts a host key on first use\..*ssh-keyscan -t ed25519 -p 2222 198\.51\.100\.4.*\[198\.51\.100\.4\]:2222 ssh-ed25519/,
    );
    writeFileSync(
      knownHosts,
      `203.0.113.7 ${key}\n[198.51.100.4]:2222 ${generateHostKey('lab2').publicKey}\n`,
    );
    const fixed: string[] = [];
    await runDoctor(parseConfig(env), (l) => fixed.push(l));
    expect(fixed.find((l) => l.includes('ssh hosts'))).toBe(
      `✓ ssh hosts: 2 hosts, each with a pinned key in ${knownHosts}`,
    );
  });
});

describe('fleetbot doctor --json', () => {
  it('prints the same checks as one document, and exits 1 when one failed', () => {
    const tmp = tempDir();
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'doctor', '--json'], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, FLEETBOT_DATA_DIR: tmp.dir, FLEETBOT_ROLES_DIR: '/nonexistent' },
      });
      expect(run.status).toBe(1);
      const report = JSON.parse(run.stdout) as unknown;
      expect(report).toMatchObject({
        ok: false,
        checks: [
          { name: 'store', ok: true, detail: `${path.join(tmp.dir, 'fleetbot.db')} is writable` },
          {
            name: 'roles',
            ok: false,
            detail: expect.stringMatching(/^FLEETBOT_ROLES_DIR: cannot read \/nonexistent/) as unknown,
            fix: expect.stringContaining('FLEETBOT_ROLES_DIR') as unknown,
          },
          // Green or not by whether this machine can start a bubblewrap sandbox.
          { name: 'local sandbox' },
        ],
      });
    } finally {
      tmp.cleanup();
    }
  });
});
