import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/index.js';

const token = 'h'.repeat(64);
const cloud = {
  HCLOUD_TOKEN: token,
  CLOUDFLARE_API_TOKEN: 'c'.repeat(40),
  CLOUDFLARE_ZONE_ID: '023e105f4ecef8ad9ca31a8372d0c353',
  FLEETBOT_DOMAIN: 'agents.example.com',
  FLEETBOT_SSH_KEY: '/etc/fleetbot/id_ed25519',
};

describe('cloud settings', () => {
  it('builds the hetzner settings when every part is there', () => {
    const c = parseConfig({ ...cloud, FLEETBOT_PROVIDER: 'hetzner', SSH_AUTH_SOCK: '/run/agent.sock' });
    expect(c.provider).toBe('hetzner');
    expect(c.providers.hetzner).toEqual({
      token,
      endpoint: 'https://api.hetzner.cloud/v1',
      sshKeyNames: [],
      cloudflare: {
        token: 'c'.repeat(40),
        zoneId: cloud.CLOUDFLARE_ZONE_ID,
        apiBase: 'https://api.cloudflare.com/client/v4',
      },
      domain: 'agents.example.com',
      acmeCa: undefined,
    });
    expect(c.ssh).toEqual({
      keyFile: '/etc/fleetbot/id_ed25519',
      passphrase: undefined,
      agentSocket: '/run/agent.sock',
    });
  });

  it('names each missing companion of HCLOUD_TOKEN, without echoing the token', () => {
    const attempt = (): unknown => parseConfig({ HCLOUD_TOKEN: token });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^HCLOUD_TOKEN: the hetzner provider also needs CLOUDFLARE_API_TOKEN; example: /),
      expect.stringMatching(/^HCLOUD_TOKEN: the hetzner provider also needs CLOUDFLARE_ZONE_ID; example: /),
      expect.stringMatching(/^HCLOUD_TOKEN: the hetzner provider also needs FLEETBOT_DOMAIN; example: /),
      expect.stringMatching(/^HCLOUD_TOKEN: new servers need a login key: set FLEETBOT_SSH_KEY/),
    ]);
    expect(message).not.toContain(token);
    expect(() => parseConfig({ HCLOUD_TOKEN: 'short secret' })).toThrow(
      /^HCLOUD_TOKEN: a Hetzner Cloud API token is 64 letters and digits; example/,
    );
    expect(() => parseConfig({ FLEETBOT_PROVIDER: 'hetzner' })).toThrow(
      /FLEETBOT_PROVIDER: hetzner needs HCLOUD_TOKEN/,
    );
  });
});
