import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineProtocol } from '../../core/conversations/protocol.js';
import { UserError } from '../../core/runtime/errors.js';
import { daemonOf } from '../../core/fleet/roles.js';
import { silenceSchema } from '../limits.js';
import { agentApi } from './api.js';
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
  open(req) {
    if (req.chat.token && !req.token)
      return Promise.reject(
        new UserError(
          `${req.agent.name}'s role asks for a bearer token, but the agent has none; redeploy it so fleetbot generates one.`,
        ),
      );
    const daemon = daemonOf(req.role);
    if (!daemon)
      return Promise.reject(new UserError(`${req.agent.name}'s role has no daemon to talk to on a port.`));
    const api = agentApi(req.channels, daemon.port);
    return Promise.resolve(
      openaiSession(api, {
        agent: req.agent,
        chat: req.chat,
        sessionId: req.previousSessionId ?? randomUUID(),
        history: req.history,
        ...(req.chat.token && req.token ? { token: req.token } : {}),
        clock: req.clock,
        log: req.log,
      }),
    );
  },
});
