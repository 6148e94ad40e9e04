import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineProtocol } from '../../core/conversations/protocol.js';
import { UserError } from '../../core/runtime/errors.js';
import { daemonOf } from '../../core/fleet/roles.js';
import { silenceSchema } from '../limits.js';
import { openaiSession } from './session.js';

/**
 * OpenAI Chat Completions with `stream: true`, on the agent's own port through the provider's
 * channels (an SSH tunnel on machines, never the public URL). The API keeps no state: each turn
 * sends the conversation so far.
 */
export const openaiProtocol = defineProtocol({
  name: 'openai',
  needsDaemon: true,
  chatSchema: z.object({
    protocol: z.literal('openai'),
    path: z.string().startsWith('/').default('/v1/chat/completions'),
    model: z.string().min(1).optional(),
    /** The agent wants the bearer token fleetbot generated at deploy. */
    token: z.boolean().default(false),
    silence: silenceSchema,
  }),
  async open(req) {
    if (req.chat.token && !req.token)
      throw new UserError(
        `${req.agent.name}'s role asks for a bearer token, but the agent has none; redeploy it so fleetbot generates one.`,
      );
    const daemon = daemonOf(req.role);
    if (!daemon) throw new UserError(`${req.agent.name}'s role has no daemon to talk to on a port.`);
    // The HTTP client (undici) is loaded with the first conversation, as ACP's SDK is (B7's idle RSS).
    const { agentApi } = await import('./api.js');
    return openaiSession(agentApi(req.channels, daemon.port), {
      agent: req.agent,
      chat: req.chat,
      sessionId: req.previousSessionId ?? randomUUID(),
      history: req.history,
      ...(req.chat.token && req.token ? { token: req.token } : {}),
      clock: req.clock,
      log: req.log,
    });
  },
});
