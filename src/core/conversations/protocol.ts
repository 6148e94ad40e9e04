import type { z } from 'zod';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logging.js';
import type { Agent } from '../store/agents.js';
import type { AgentChannels } from '../fleet/provider.js';
import type { Role } from '../fleet/roles.js';

/**
 * How fleetbot talks to an agent (`chat.protocol` in a role file). Each protocol is one module in
 * src/protocols/<name>/ listed in src/protocols/index.ts; core drives every one of them through
 * this contract and never names one.
 */

/** A tool call the agent reports, as the status line and `/ask verbose on` show it. */
export type ToolStep = {
  id: string;
  title: string;
  status: 'pending' | 'in_progress' | 'completed' | 'failed';
};

/** What a person may answer to a permission request; expiry and cancellation answer `reject`. */
export type PermissionChoice = 'allow_once' | 'allow_always' | 'reject';

export type PermissionRequest = {
  /** What the agent wants to do, in its own words (untrusted text). */
  title: string;
  /** The command, path or diff it names, when it names one (untrusted text). */
  detail?: string;
  /** The choices the agent offered; a choice it did not offer is never shown. */
  offered: PermissionChoice[];
};

/** What a turn reports while it runs, in order. Every string here comes from the agent: untrusted. */
export type TurnEvents = {
  /** The next piece of the answer's text. */
  text(delta: string): void;
  /** A tool step started or changed. */
  step(step: ToolStep): void;
  /** The agent asks before acting; resolves with the person's choice (reject on expiry or cancel). */
  permission(request: PermissionRequest): Promise<PermissionChoice>;
  /** A file or diff the agent reported, sent beside the answer as a document. */
  file(file: { name: string; content: string }): void;
  /** Something the agent sent that fleetbot does not understand: logged and skipped, never fatal. */
  skipped(what: string): void;
};

/** How a turn ended. `failed` carries what went wrong and the last lines the agent wrote to stderr. */
export type TurnEnd =
  | { stop: 'end_turn' | 'max_tokens' | 'refusal' | 'cancelled' }
  | { stop: 'failed'; reason: string; stderr?: string };

/** How a conversation's session began on its (new) process or connection. */
export type SessionStart =
  | { kind: 'new' }
  | { kind: 'loaded' | 'resumed' }
  /** The earlier session could not be continued (the agent cannot load or resume it): a new one. */
  | { kind: 'restarted'; why: string };

/** One conversation with an agent on one process or connection, kept between turns until idle. */
export type AgentSession = {
  /** The protocol's own id, stored so a later process can continue the conversation. */
  readonly sessionId: string;
  readonly start: SessionStart;
  /** False once the process or connection has ended; such a session is opened again. */
  readonly alive: boolean;
  /** One turn; `signal` aborts it (the protocol's cancel), and the promise then ends `cancelled`. */
  prompt(text: string, events: TurnEvents, signal: AbortSignal): Promise<TurnEnd>;
  /** Ends the process or connection. */
  close(): Promise<void>;
};

/** A message of the conversation so far, for protocols that continue by resending history. */
export type HistoryMessage = { role: 'user' | 'assistant'; content: string };

export type OpenSession = {
  agent: Agent;
  role: Role;
  /** The role's `chat` section, as this protocol's schema parsed it. */
  chat: unknown;
  /** The provider's ways into the agent's walls. */
  channels: AgentChannels;
  /** The session to continue, when the conversation had one. */
  previousSessionId?: string;
  history: HistoryMessage[];
  /** The bearer token fleetbot generated at deploy, when the role asks for one. */
  token?: string;
  clock: Clock;
  log: Logger;
};

export type ProtocolModule<Chat = unknown> = {
  name: string;
  /**
   * The role file's `chat` section for this protocol (`protocol: <name>` plus its own fields); an
   * object schema, so the role file can add the fields every protocol shares (`level`, `idle`).
   */
  chatSchema: z.ZodObject & z.ZodType<Chat>;
  /** It talks to the agent's daemon (on the role's `agent.port`), so a role without one cannot use it. */
  needsDaemon?: boolean;
  open(req: OpenSession & { chat: Chat }): Promise<AgentSession>;
  /**
   * For agents without a daemon: whether the chat side starts and answers (ACP: `initialize`),
   * throwing a UserError that says why not.
   */
  probe?(req: Omit<OpenSession & { chat: Chat }, 'history' | 'previousSessionId'>): Promise<void>;
};

export const defineProtocol = <Chat>(module: ProtocolModule<Chat>): ProtocolModule<Chat> => module;
