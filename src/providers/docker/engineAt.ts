import { errorMessage, UserError } from '../../core/runtime/errors.js';
import type { CheckResult } from '../../config/module.js';
import type { ProviderShared } from '../module.js';
import { missingPinHelp, readKnownHosts } from '../ssh/knownHosts.js';
import { sshLogin } from '../ssh/login.js';
import { describeDockerHost, type DockerHost } from './dockerHost.js';
import { createEngine, type Engine } from './engine.js';
import { engineDispatcher } from './transport.js';

export type SshDockerHost = Extract<DockerHost, { kind: 'ssh' }>;

/** The known_hosts file that pins ssh:// Engines, and the variable and hosts to name when it is wrong. */
export type EnginePins = { file: string | undefined; variable: string; hosts: string };

/** The pinned host key of an ssh:// Docker host; without one, what to pin and where. */
export function pinnedEngineKey(host: SshDockerHost, pins: EnginePins): string {
  const file = pins.file ?? '';
  const hostKey = readKnownHosts(file, pins.variable, pins.hosts).keyFor(host.host, host.port);
  if (!hostKey)
    throw new UserError(
      `${describeDockerHost(host)} has no pinned host key in ${file}. ${missingPinHelp(host.host, host.port, file)}`,
    );
  return hostKey;
}

/**
 * An Engine at a DOCKER_HOST: its socket on this host, or the remote socket over fleetbot's kept SSH
 * connection with the host key pinned (then returned too: the same host's other channels pin it).
 */
export function engineAt(
  host: DockerHost,
  pins: EnginePins,
  shared: Pick<ProviderShared, 'sshPool' | 'login'>,
): { engine: Engine; hostKey?: string } {
  const where = describeDockerHost(host);
  if (host.kind === 'unix') return { engine: createEngine({ dispatcher: engineDispatcher(host), where }) };
  const hostKey = pinnedEngineKey(host, pins);
  const dispatcher = engineDispatcher(host, {
    pool: shared.sshPool,
    auth: sshLogin(shared.login).auth,
    hostKey,
  });
  return { engine: createEngine({ dispatcher, where }), hostKey };
}

/**
 * Doctor's check of an ssh:// Engine: that its key is pinned. Reaching it needs fleetbot's kept SSH
 * connections, which a running fleetbot holds; doctor checks what the start needs.
 */
export function enginePinCheck(host: SshDockerHost, pins: EnginePins): CheckResult {
  const file = pins.file ?? '';
  let pinned: boolean;
  try {
    pinned = readKnownHosts(file, pins.variable, pins.hosts).keyFor(host.host, host.port) !== undefined;
  } catch (err) {
    return {
      ok: false,
      detail: errorMessage(err),
      fix: `create ${file || pins.variable} with ${host.host}'s host key`,
    };
  }
  return pinned
    ? {
        ok: true,
        detail: `${describeDockerHost(host)}, its host key pinned in ${file}; fleetbot reaches its Engine over SSH once it starts`,
      }
    : {
        ok: false,
        detail: `no pinned host key for ${host.host} in ${file}`,
        fix: missingPinHelp(host.host, host.port, file),
      };
}
