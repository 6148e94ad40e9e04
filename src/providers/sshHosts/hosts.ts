import { z } from 'zod';

/** A machine fleetbot may deploy onto over SSH (FLEETBOT_SSH_HOSTS). */
export type SshHost = { name: string; user: string; host: string; port: number };

/** A host's name, as `/deploy --host` and a role's providers.ssh.host give it. */
export const hostName = /^[a-z0-9][a-z0-9-]{0,31}$/;

const entryPattern =
  /^([a-z0-9][a-z0-9-]{0,31})=([a-z_][a-z0-9_-]{0,31})@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?$/;

/** One `name=user@host[:port]` entry; an IPv6 address goes in brackets. */
export const sshHostEntry = z.string().transform((entry, ctx): SshHost => {
  const m = entryPattern.exec(entry);
  const port = Number(m?.[4] ?? 22);
  if (!m || port < 1 || port > 65535) {
    ctx.addIssue({
      code: 'custom',
      message: `each entry must look like name=user@host[:port], not ${entry}`,
    });
    return z.NEVER;
  }
  return { name: m[1]!, user: m[2]!, host: m[3]!.replace(/^\[(.*)\]$/, '$1'), port };
});

/** Names pick a host in `/deploy --host`, so each may appear once. */
export const uniqueHostNames = (hosts: SshHost[], ctx: z.RefinementCtx): void => {
  const seen = new Set<string>();
  for (const h of hosts) {
    if (seen.has(h.name)) ctx.addIssue({ code: 'custom', message: `the host name ${h.name} is used twice` });
    seen.add(h.name);
  }
};
