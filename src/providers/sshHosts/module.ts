import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { machineVariables } from '../../config/machines.js';
import { commaList, homePath } from '../../config/variables.js';
import { errorMessage } from '../../core/runtime/errors.js';
import { productionMachineDeps } from '../machine/production.js';
import { defineProviderModule } from '../module.js';
import { missingPinHelp, parseKnownHosts, readKnownHosts } from '../ssh/knownHosts.js';
import { sshLogin } from '../ssh/login.js';
import { hostName, sshHostEntry, uniqueHostNames, type SshHost } from './hosts.js';
import { createSshHostsProvider, splitEndpoint } from './index.js';
import { sshRoleSettings } from './roleSettings.js';

/** Hosts for the ssh provider and the file that pins their host keys. */
export type SshHostsSettings = {
  hosts: SshHost[];
  knownHostsFile: string;
  domain: string | undefined;
  acmeCa: string | undefined;
};

const variables = {
  FLEETBOT_SSH_HOSTS: {
    schema: commaList.pipe(z.array(sshHostEntry)).superRefine(uniqueHostNames),
    example: 'lab1=agent@203.0.113.7,lab2=root@198.51.100.4:2222',
    help: 'Hosts you already have for the ssh provider, as name=user@host[:port], comma-separated.',
  },
};

/** Agents on hosts someone already has, reached over SSH with pinned host keys only. */
export const sshHostsModule = defineProviderModule({
  name: 'ssh',
  variables,
  crossCheck: (v) => {
    const problems: string[] = [];
    if (v.FLEETBOT_SSH_HOSTS.length > 0 && !v.FLEETBOT_SSH_KNOWN_HOSTS)
      problems.push(
        `FLEETBOT_SSH_HOSTS: fleetbot never trusts a host key on first use; set FLEETBOT_SSH_KNOWN_HOSTS to a known_hosts file with each host's key (ssh-keyscan from a trusted network, or the server's /etc/ssh/ssh_host_ed25519_key.pub); example: FLEETBOT_SSH_KNOWN_HOSTS=${machineVariables.FLEETBOT_SSH_KNOWN_HOSTS.example}`,
      );
    if (v.FLEETBOT_PROVIDER === 'ssh' && v.FLEETBOT_SSH_HOSTS.length === 0)
      problems.push(
        `FLEETBOT_PROVIDER: ssh needs FLEETBOT_SSH_HOSTS; example: FLEETBOT_SSH_HOSTS=${variables.FLEETBOT_SSH_HOSTS.example}`,
      );
    return problems;
  },
  settings: (v, env): SshHostsSettings | undefined =>
    v.FLEETBOT_SSH_HOSTS.length > 0 && v.FLEETBOT_SSH_KNOWN_HOSTS
      ? {
          hosts: v.FLEETBOT_SSH_HOSTS,
          knownHostsFile: homePath(v.FLEETBOT_SSH_KNOWN_HOSTS, env),
          domain: v.FLEETBOT_DOMAIN,
          acmeCa: v.FLEETBOT_ACME_CA,
        }
      : undefined,
  roleSettings: sshRoleSettings,
  deployFlags: {
    host: {
      schema: z.string().regex(hostName, '--host is a host name from FLEETBOT_SSH_HOSTS such as lab1'),
      placeholder: 'H',
    },
  },
  doctor: [
    {
      name: 'ssh hosts',
      run: async ({ hosts, knownHostsFile }) => {
        try {
          const pins = parseKnownHosts(readFileSync(knownHostsFile, 'utf8'), knownHostsFile);
          const unpinned = hosts.filter((h) => !pins.keyFor(h.host, h.port));
          if (unpinned.length === 0)
            return { ok: true, detail: `${hosts.length} hosts, each with a pinned key in ${knownHostsFile}` };
          const first = unpinned[0]!;
          return {
            ok: false,
            detail: `no pinned host key for ${unpinned.map((h) => h.name).join(', ')}`,
            fix: missingPinHelp(first.host, first.port, knownHostsFile),
          };
        } catch (err) {
          return {
            ok: false,
            detail: errorMessage(err),
            fix: 'create FLEETBOT_SSH_KNOWN_HOSTS with the host key of each FLEETBOT_SSH_HOSTS entry',
          };
        }
      },
    },
  ],
  create: (settings, shared) =>
    createSshHostsProvider({
      hosts: settings.hosts,
      knownHosts: readKnownHosts(settings.knownHostsFile),
      knownHostsFile: settings.knownHostsFile,
      domain: settings.domain,
      machine: productionMachineDeps({
        clock: shared.clock,
        auth: sshLogin(shared.login).auth,
        pool: shared.sshPool,
        acmeCa: settings.acmeCa,
        sshEndpoint: splitEndpoint,
      }),
    }),
});
