import type { Socket } from 'node:net';
import { Client } from 'undici';
import type { AgentChannels } from '../../core/fleet/provider.js';

/**
 * An HTTP client for the agent's own port, whose every connection is a byte stream the provider
 * opens into the agent's walls (an SSH forwardOut on machines), never a socket to a public address.
 */
export function agentApi(channels: AgentChannels, port: number): Client {
  return new Client(`http://127.0.0.1:${port}`, {
    connect: (_options, callback) => {
      channels.connect(port).then(
        // undici drives any Duplex; it only reads socket extras (keep-alive, ToS) where they exist.
        (stream) => callback(null, stream as Socket),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
      );
    },
  });
}
