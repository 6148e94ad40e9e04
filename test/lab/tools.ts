import { execFileSync, spawnSync } from 'node:child_process';

/** Why the lab cannot run here (not root, or a tool missing), or undefined when it can. */
export function labUnavailable(tools: string[]): string | undefined {
  if (process.getuid?.() !== 0)
    return 'the lab suite needs root (network namespaces, useradd, sshd); run `sudo npm run test:lab`';
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0)
    return `missing ${missing.join(', ')}: apt-get install -y --no-install-recommends openssh-server caddy cloud-init iproute2 systemd nftables`;
  return undefined;
}

export type Ran = { code: number; stdout: string; stderr: string };

/** Runs a program (no shell) and returns its exit code and output, whatever the code. */
export function runTool(program: string, args: string[], timeoutMs = 60_000): Ran {
  const r = spawnSync(program, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a program that must succeed; its stderr is the error otherwise. */
export const must = (program: string, args: string[]): string =>
  execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
