import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { isolationFor } from '../src/providers/local/module.js';

const cloud = {
  HCLOUD_TOKEN: 'h'.repeat(64),
  CLOUDFLARE_API_TOKEN: 'c'.repeat(40),
  CLOUDFLARE_ZONE_ID: '023e105f4ecef8ad9ca31a8372d0c353',
  FLEETBOT_DOMAIN: 'agents.example.com',
  FLEETBOT_SSH_KEY: '/etc/fleetbot/id_ed25519',
};
const telegram = { TELEGRAM_BOT_TOKEN: '123:abc' };
const on = (env: Record<string, string>): string[] =>
  Object.entries(parseConfig(env).providers).flatMap(([name, s]) => (s === undefined ? [] : [name]));

describe('which providers are on (FLEETBOT_PROVIDERS)', () => {
  it('runs local agents when no other provider is configured: the first run needs no account', () => {
    expect(on({})).toEqual(['local']);
    expect(parseConfig({}).provider).toBe('local');
  });

  it('turns local off once another provider is configured, and defaults to that provider', () => {
    expect(on(cloud)).toEqual(['hetzner']);
    expect(parseConfig(cloud).provider).toBe('hetzner');
  });

  it('keeps local on beside another provider only when FLEETBOT_PROVIDERS lists it', () => {
    expect(on({ ...cloud, FLEETBOT_PROVIDERS: 'hetzner,local' })).toEqual(['local', 'hetzner']);
    expect(on({ ...cloud, FLEETBOT_PROVIDERS: 'local' })).toEqual(['local']);
  });

  it('refuses a FLEETBOT_PROVIDER that is off, and a listed provider that is unknown or not configured', () => {
    expect(() => parseConfig({ ...cloud, FLEETBOT_PROVIDER: 'local' })).toThrow(
      /^FLEETBOT_PROVIDER: local is off \(on: hetzner\); add it to FLEETBOT_PROVIDERS/,
    );
    expect(() => parseConfig({ FLEETBOT_PROVIDERS: 'mars,hetzner' })).toThrow(
      /FLEETBOT_PROVIDERS: no provider is called mars.*\nFLEETBOT_PROVIDERS lists hetzner, which is not configured/,
    );
  });
});

describe('local agents without a sandbox', () => {
  const missing = { available: false as const, reason: 'bwrap is not installed' };
  const local = (env: Record<string, string>) => parseConfig(env).providers.local!;

  it('run in bubblewrap where it works', () => {
    const { isolation } = isolationFor(local(telegram), { available: true, bwrap: '/usr/bin/bwrap' });
    expect(isolation).toEqual({ kind: 'sandbox', bwrap: '/usr/bin/bwrap' });
  });

  it('run as you with the console as the only chat, saying so in one line', () => {
    const { isolation, line } = isolationFor(local({}), missing);
    expect(isolation.kind).toBe('unsandboxed');
    expect(line).toMatch(/^local agents run as you, unsandboxed \(bwrap is not installed\)/);
  });

  it('are refused with a chat platform configured, saying why and what to do', () => {
    const { isolation, line } = isolationFor(local(telegram), missing);
    expect(isolation.kind).toBe('refused');
    expect(line).toMatch(/cannot be sandboxed \(bwrap is not installed\), and with telegram configured/);
    expect(line).toMatch(
      /Install bubblewrap .* or set FLEETBOT_LOCAL_UNSANDBOXED=true .*; local deploys are refused$/,
    );
  });

  it('run unsandboxed with a chat platform only when FLEETBOT_LOCAL_UNSANDBOXED=true asks for it', () => {
    const { isolation, line } = isolationFor(
      local({ ...telegram, FLEETBOT_LOCAL_UNSANDBOXED: 'true' }),
      missing,
    );
    expect(isolation.kind).toBe('unsandboxed');
    expect(line).toMatch(/as FLEETBOT_LOCAL_UNSANDBOXED=true asks/);
  });
});
