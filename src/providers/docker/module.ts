import { z } from 'zod';
import { homePath } from '../../config/variables.js';
import { errorMessage } from '../../core/runtime/errors.js';
import type { MachineRef } from '../machine/install.js';
import { productionMachineDeps } from '../machine/production.js';
import { defineProviderModule, type ProviderShared } from '../module.js';
import { sshLogin } from '../ssh/login.js';
import { splitEndpoint } from '../sshHosts/index.js';
import { dockerImageSchema, dockerRoleSettings } from './agentContainer.js';
import { defaultDockerSocket, describeDockerHost, dockerHostSchema, type DockerHost } from './dockerHost.js';
import { createEngine, type Engine } from './engine.js';
import { engineAt, enginePinCheck, type EnginePins } from './engineAt.js';
import { caddySite } from './caddySite.js';
import { createDockerProvider } from './index.js';
import { localReach, sshPortReach, type PortReach } from './reach.js';
import { defaultSubnetPool, subnetPicker, subnetPoolSchema } from './subnets.js';
import { engineDispatcher } from './transport.js';

export type DockerSettings = {
  host: DockerHost;
  /** Where the ssh:// host's key is pinned; set whenever the host is reached over SSH. */
  knownHostsFile: string | undefined;
  defaultImage: string | undefined;
  subnets: string;
  domain: string | undefined;
  acmeCa: string | undefined;
};

const variables = {
  DOCKER_HOST: {
    schema: dockerHostSchema.optional(),
    example: 'ssh://deploy@203.0.113.9',
    help: `Docker's own variable: the Engine agents run on, unix:///path/to/docker.sock (default ${defaultDockerSocket}) or ssh://user@host[:port] (its key pinned in FLEETBOT_SSH_KNOWN_HOSTS).`,
  },
  FLEETBOT_DOCKER_SUBNETS: {
    schema: subnetPoolSchema.default(defaultSubnetPool),
    example: defaultSubnetPool,
    help: 'IPv4 range each docker agent’s own network gets a /28 of (4,096 agents in a /16); Docker’s default pools hold only about 30 networks. Pick a range your hosts’ networks do not use.',
  },
  FLEETBOT_DOCKER_IMAGE: {
    schema: dockerImageSchema.optional(),
    example: 'node:20-bookworm-slim',
    help: 'Image of docker agents whose role names none in providers.docker.image and has no image /image build made; the base of those builds when the role names no providers.docker.base. It needs /bin/sh and what the role runs. Setting it (or DOCKER_HOST) turns the docker provider on.',
  },
};

/**
 * How long a deploy waits for its agent's health, and how often it asks. Health is polled often: it
 * is one local request, and every poll interval is time added to the deploy (B10 measures it).
 */
export const dockerDeployTimings = { healthDeadlineMs: 60_000, pollMs: 100 } as const;

/** The pins of an ssh:// DOCKER_HOST: fleetbot's one known_hosts file, shared with ssh hosts. */
const pinsOf = (settings: DockerSettings): EnginePins => ({
  file: settings.knownHostsFile,
  variable: 'FLEETBOT_SSH_KNOWN_HOSTS',
  hosts: 'FLEETBOT_SSH_HOSTS entries, an ssh:// DOCKER_HOST',
});

/** The Engine of the settings, and how agents' published ports are reached from here. */
function connect(
  settings: DockerSettings,
  shared: Pick<ProviderShared, 'sshPool' | 'login'>,
): { engine: Engine; reach: PortReach; machine?: MachineRef } {
  const { engine, hostKey } = engineAt(settings.host, pinsOf(settings), shared);
  if (settings.host.kind === 'unix' || !hostKey) return { engine, reach: localReach() };
  const { host, port, user } = settings.host;
  const auth = sshLogin(shared.login).auth;
  return {
    engine,
    reach: sshPortReach({ pool: shared.sshPool, auth, target: { host, port, username: user, hostKey } }),
    machine: { address: `${host.includes(':') ? `[${host}]` : host}:${port}`, login: user, hostKey },
  };
}

const engineVersion = z.object({ Version: z.string(), ApiVersion: z.string() });

/** What to do when the Engine does not answer, by why. */
const unreachableFix = (settings: DockerSettings, message: string): string => {
  if (settings.host.kind === 'ssh')
    return `check that fleetbot can log in to ${settings.host.user}@${settings.host.host} and that this user may use ${settings.host.socketPath} (the docker group)`;
  if (message.includes('ENOENT'))
    return `no socket at ${settings.host.socketPath}: install and start Docker (apt-get install docker.io; systemctl start docker), or set DOCKER_HOST to where its socket is`;
  if (message.includes('EACCES'))
    return `fleetbot's user may not open ${settings.host.socketPath}: add it to the docker group (which is root on this host) and restart fleetbot, or point DOCKER_HOST at a socket it may use`;
  return 'check that dockerd is running (systemctl status docker)';
};

/** Agents as containers on a Docker Engine, local or over SSH. */
export const dockerModule = defineProviderModule({
  name: 'docker',
  variables,
  crossCheck: (v) =>
    v.DOCKER_HOST?.kind === 'ssh' && !v.FLEETBOT_SSH_KNOWN_HOSTS
      ? [
          `DOCKER_HOST: fleetbot never trusts a host key on first use; set FLEETBOT_SSH_KNOWN_HOSTS to a known_hosts file with ${v.DOCKER_HOST.host}'s key (ssh-keyscan from a trusted network, or the server's /etc/ssh/ssh_host_ed25519_key.pub); example: FLEETBOT_SSH_KNOWN_HOSTS=/etc/fleetbot/known_hosts`,
        ]
      : [],
  settings: (v, env): DockerSettings | undefined =>
    v.DOCKER_HOST ||
    v.FLEETBOT_DOCKER_IMAGE ||
    v.FLEETBOT_PROVIDER === 'docker' ||
    v.FLEETBOT_PROVIDERS.includes('docker')
      ? {
          host: v.DOCKER_HOST ?? { kind: 'unix', socketPath: defaultDockerSocket },
          knownHostsFile: v.FLEETBOT_SSH_KNOWN_HOSTS ? homePath(v.FLEETBOT_SSH_KNOWN_HOSTS, env) : undefined,
          defaultImage: v.FLEETBOT_DOCKER_IMAGE,
          subnets: v.FLEETBOT_DOCKER_SUBNETS,
          domain: v.FLEETBOT_DOMAIN,
          acmeCa: v.FLEETBOT_ACME_CA,
        }
      : undefined,
  roleSettings: dockerRoleSettings,
  deployFlags: {},
  doctor: [
    {
      name: 'docker engine',
      run: async (settings) =>
        settings.host.kind === 'ssh'
          ? enginePinCheck(settings.host, pinsOf(settings))
          : ping(
              createEngine({
                dispatcher: engineDispatcher(settings.host),
                where: describeDockerHost(settings.host),
              }),
              settings,
            ),
    },
  ],
  create: (settings, shared) => {
    const { engine, reach, machine } = connect(settings, shared);
    const site =
      machine && settings.domain
        ? caddySite(
            productionMachineDeps({
              clock: shared.clock,
              auth: sshLogin(shared.login).auth,
              pool: shared.sshPool,
              acmeCa: settings.acmeCa,
              sshEndpoint: splitEndpoint,
            }),
            machine,
            settings.domain,
          )
        : undefined;
    if (settings.domain && !machine)
      shared.log.warn(
        { dockerHost: describeDockerHost(settings.host) },
        'FLEETBOT_DOMAIN is set but the Docker host is this host: fleetbot does not configure a web server here; docker agents get http://127.0.0.1:<port> addresses, and a reverse proxy you run may serve them',
      );
    return createDockerProvider({
      engine,
      reach,
      instance: shared.instance,
      defaultImage: settings.defaultImage,
      clock: shared.clock,
      ...dockerDeployTimings,
      subnets: subnetPicker(settings.subnets),
      site,
    });
  },
});

/** GET /_ping and /version: that the Engine answers, and which it is. */
async function ping(engine: Engine, settings: DockerSettings) {
  try {
    const version = await engine.json('GET', '/version', engineVersion, {
      what: 'asking its version',
      timeoutMs: 5_000,
    });
    return {
      ok: true,
      detail: `Docker Engine ${version.Version} (API ${version.ApiVersion}) at ${engine.where}`,
    };
  } catch (err) {
    const message = errorMessage(err);
    return { ok: false, detail: message, fix: unreachableFix(settings, message) };
  } finally {
    await engine.close();
  }
}
