import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { dockerModule, type DockerSettings } from '../src/providers/docker/module.js';

const settings = (env: Record<string, string>): DockerSettings | undefined =>
  parseConfig(env).providers.docker;

describe('the docker provider’s settings and doctor', () => {
  it('is on with Docker’s default socket once FLEETBOT_DOCKER_IMAGE is set', () => {
    expect(settings({ FLEETBOT_DOCKER_IMAGE: 'node:20-bookworm-slim' })).toMatchObject({
      host: { kind: 'unix', socketPath: '/var/run/docker.sock' },
      defaultImage: 'node:20-bookworm-slim',
    });
    expect(settings({})).toBeUndefined();
  });

  it('refuses tcp:// and an ssh:// host without pinned keys, saying what to set', () => {
    expect(() => parseConfig({ DOCKER_HOST: 'tcp://203.0.113.9:2375' })).toThrow(
      /^DOCKER_HOST: DOCKER_HOST is unix:\/\/\/path\/to\/docker\.sock or ssh:\/\/user@host\[:port\] \(tcp:\/\/ is not used/,
    );
    expect(() => parseConfig({ DOCKER_HOST: 'ssh://deploy@203.0.113.9' })).toThrow(
      /^DOCKER_HOST: fleetbot never trusts a host key on first use; set FLEETBOT_SSH_KNOWN_HOSTS to a known_hosts file with 203\.0\.113\.9's key/,
    );
    expect(
      settings({
        DOCKER_HOST: 'ssh://deploy@203.0.113.9:2222',
        FLEETBOT_SSH_KNOWN_HOSTS: '/etc/fleetbot/known_hosts',
      }),
    ).toMatchObject({
      host: { kind: 'ssh', user: 'deploy', host: '203.0.113.9', port: 2222 },
      knownHostsFile: '/etc/fleetbot/known_hosts',
    });
  });

  it('doctor says there is no socket and how to get one', async () => {
    const result = await dockerModule.doctor![0]!.run(
      settings({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' })!,
    );
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /the Docker socket \/nonexistent\/docker\.sock did not answer .*\(ENOENT\)/,
    );
    expect(result.fix).toBe(
      'no socket at /nonexistent/docker.sock: install and start Docker (apt-get install docker.io; systemctl start docker), or set DOCKER_HOST to where its socket is',
    );
  });

  it('doctor says when the file that should pin an ssh:// host’s key cannot be read', async () => {
    const result = await dockerModule.doctor![0]!.run(
      settings({
        DOCKER_HOST: 'ssh://deploy@203.0.113.9',
        FLEETBOT_SSH_KNOWN_HOSTS: '/nonexistent/known_hosts',
      })!,
    );
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/FLEETBOT_SSH_KNOWN_HOSTS: cannot read \/nonexistent\/known_hosts/);
  });
});
