import type { ProtocolModule } from '../conversations/protocol.js';
import type { Clock } from '../runtime/clock.js';
import { errorMessage } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Agent } from '../store/agents.js';
import type { AgentChannels, AgentHealth } from './provider.js';
import type { Role } from './roles.js';

/** Whether an agent's chat side starts inside its walls and answers, as its health. */
export type ChatProbe = (agent: Agent, role: Role, channels: AgentChannels) => Promise<AgentHealth>;

/**
 * The health of an agent without a daemon: its `chat.command` starts and answers the protocol's
 * handshake (ACP `initialize`), then is ended. It costs a process start, so the monitor runs it on a
 * slower interval than HTTP checks.
 */
export function createChatProbe(deps: {
  protocols: ReadonlyMap<string, ProtocolModule>;
  clock: Clock;
  log: Logger;
}): ChatProbe {
  return async (agent, role, channels) => {
    const chat = role.chat;
    const protocol = chat && deps.protocols.get(chat.protocol);
    if (!chat || !protocol?.probe)
      return {
        state: 'unhealthy',
        detail: `its role has no daemon and no chat protocol fleetbot can check (${chat?.protocol ?? 'none'})`,
      };
    const started = deps.clock.now();
    try {
      await protocol.probe({
        agent,
        role,
        chat,
        channels,
        clock: deps.clock,
        log: deps.log.child({ agent: agent.name, probe: chat.protocol }),
      });
      return {
        state: 'healthy',
        detail: `its ${chat.protocol} command starts and answers`,
        latencyMs: deps.clock.now() - started,
      };
    } catch (err) {
      // The protocol's own words say which command, what it did, and what to check.
      return { state: 'unhealthy', detail: errorMessage(err) };
    }
  };
}
