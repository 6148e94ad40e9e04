import { publicSiteSteps, run, withMachine, type MachineDeps, type MachineRef } from '../machine/install.js';
import { remote } from '../machine/remote.js';
import type { PublicSite } from './index.js';

/**
 * With FLEETBOT_DOMAIN on a remote Docker host: Caddy on that host serves https://<name>.<domain> in
 * front of the agent's port published on its loopback, as it does for agents on ssh hosts.
 */
export function caddySite(deps: MachineDeps, machine: MachineRef, domain: string): PublicSite {
  return {
    steps: (name, healthPath, port) =>
      publicSiteSteps({
        deps,
        name,
        fqdn: `${name}.${domain}`,
        healthPath,
        port,
        machine: () => machine,
        needs: ['health'],
      }),
    remove: (name) =>
      withMachine(deps, machine, (ssh) =>
        run(deps, ssh, remote.removeCaddySite(name, machine.login), 'Removing the Caddy site'),
      ).then(() => undefined),
  };
}
