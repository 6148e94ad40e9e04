import { z } from 'zod';
import { defineProtocol } from '../../core/conversations/protocol.js';
import { silenceSchema } from '../limits.js';

/**
 * The SDK and the session machinery, loaded on the first conversation: a fleetbot nobody talks
 * through keeps them out of its memory (B7's idle RSS), as the Slack bridge does with Bolt.
 */
const machinery = async () => ({ ...(await import('./connection.js')), ...(await import('./session.js')) });

const chatSchema = z.object({
  protocol: z.literal('acp'),
  /** argv; paths starting with ./ or ../ are relative to the role file, as in agent.command. */
  command: z.array(z.string().min(1)).min(1),
  silence: silenceSchema,
});

/** A role's `chat` section for ACP, as parsed when the role file was loaded. */
export type AcpChat = z.output<typeof chatSchema>;

/**
 * Agent Client Protocol v1: JSON-RPC over the stdio of `chat.command`, started inside the agent's
 * walls for each conversation. Claude Code, Codex, Gemini CLI and OpenCode speak it.
 */
export const acpProtocol = defineProtocol({
  name: 'acp',
  chatSchema,
  async open(req) {
    const { connectAcp, acpSession } = await machinery();
    const acp = await connectAcp({ ...req, command: req.chat.command });
    return acpSession(acp, {
      agent: req.agent,
      ...(req.previousSessionId ? { previousSessionId: req.previousSessionId } : {}),
      silenceMs: req.chat.silence,
      clock: req.clock,
      log: req.log,
    });
  },
  async probe(req) {
    const { connectAcp } = await machinery();
    const acp = await connectAcp({ ...req, command: req.chat.command });
    acp.close();
  },
});
