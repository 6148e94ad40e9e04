import { checkHealth } from '../../src/core/fleet/healthCheck.js';
import type { AgentHealth } from '../../src/core/fleet/provider.js';

/** Where the fake machines answer, as plain data that another process can read from a file. */
export type MachineDirectory = {
  /** A machine's address → the loopback port of its sshd. */
  ssh: Record<string, number>;
  /** A host name → the loopback port of the "Caddy" serving it, and when its certificate is ready. */
  https: Record<string, { port: number; from: number }>;
};

/** The provider's view of the machines (SSH endpoint, public HTTPS check), read afresh on every call. */
export function machineAccess(read: () => MachineDirectory) {
  return {
    sshEndpoint: (ip: string) => ({ host: '127.0.0.1', port: read().ssh[ip] ?? 1 }),
    /** The public check, sent to the machine whose Caddy serves that name. */
    publicHealth: (url: string, signal: AbortSignal): Promise<AgentHealth> => {
      const u = new URL(url);
      const site = read().https[u.hostname];
      if (!site || Date.now() < site.from)
        return Promise.resolve({ state: 'unhealthy', detail: `cannot reach ${url}: connection refused` });
      return checkHealth(`http://127.0.0.1:${site.port}${u.pathname}`, {
        timeoutMs: 2_000,
        signal,
      });
    },
  };
}
