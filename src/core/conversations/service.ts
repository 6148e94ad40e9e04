import type { Caller } from '../access/access.js';
import { auditLog, userOfKey } from '../access/auditLog.js';
import { levelRank } from '../access/levels.js';
import {
  chatKey,
  type Button,
  type ChatRef,
  type Inbound,
  type MessageRef,
  type UserRef,
} from '../chat/types.js';
import type { Clock } from '../runtime/clock.js';
import { errorMessage, UserError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logging.js';
import type { Agent } from '../store/agents.js';
import type { Conversation } from '../store/conversations.js';
import type { Store } from '../store/index.js';
import type { AgentChannels } from '../fleet/provider.js';
import type { Role, RoleChat } from '../fleet/roles.js';
import type { Answer } from '../chat/answer.js';
import { actsForAsker } from './actsForAsker.js';
import { createPermissionWaits } from './permissions.js';
import { createFeedAnswer } from './feedAnswer.js';
import type { StreamEvent } from '../router/command.js';
import type { AgentSession, PermissionChoice, PermissionRequest, ProtocolModule } from './protocol.js';
import { createSessionPool } from './sessions.js';
import { runTurn, type AbortReason } from './turn.js';

/** The longest prompt fleetbot passes on, in characters. */
export const maxPromptChars = 20_000;
/** How much of a prompt the audit keeps when FLEETBOT_AUDIT_PROMPTS is on. */
const auditedPromptChars = 2_000;

/** Where a turn's answer goes: the chat side's answer message (src/core/chat/answer.ts). */
export type AnswerPlace = {
  chat: ChatRef;
  direct: boolean;
  replyTo?: MessageRef;
  recipient: UserRef;
  /** Each message the running answer comes to be shown on, as soon as it exists. */
  onMessage(ref: MessageRef): void;
};
export type AnswerFactory = (place: AnswerPlace) => Answer;

/** A turn's answer as events, for a program: resumable by id within the turn. */
export type FeedEvents = (after: string | undefined, signal: AbortSignal) => AsyncIterable<StreamEvent>;

/** How to reach an agent to talk to it: its role and its provider's ways in. */
export type Reach = { role: Role; channels: AgentChannels; token?: string };

/** What a permission card needs to be posted, and how it is closed; approvals do the posting. */
export type PermissionCards = {
  post(p: {
    requestId: string;
    agent: string;
    asker: string;
    request: PermissionRequest;
    chat: Caller['chat'];
    ttlMs: number;
  }): Promise<void>;
  /** Marks cards whose time ran out (as approvals' sweep does). */
  sweep(): Promise<unknown>;
};

/** The Stop button on a running answer: approvals issue it (the stop card), the answer shows it. */
export type StopButtons = {
  /** A fresh single-use Stop button for this turn: its prompt id, and the row the answer shows. */
  issue(p: { turnId: number; agent: string; asker: string; chat: ChatRef }): {
    promptId: string;
    row: Button[];
  };
  /** The message the answer is on, so a press is checked against the message it came from. */
  attach(promptId: string, ref: MessageRef): void;
  /** The turn ended: the button is spent. */
  close(promptId: string): void;
};

type Running = {
  turnId: number;
  conversationId: number;
  agent: Agent;
  chatKey: string;
  requester: string;
  abort: AbortController;
  /** The message the answer is on now, once it is one (a draft or stream is not, yet). */
  shownAt?: MessageRef;
  stopPromptId?: string;
};

/**
 * Conversations with agents (`/ask`, replies, `/chat`): one queue of turns per conversation, one
 * session (process or connection) per conversation kept while in use, answers streamed into chat,
 * permission requests as cards. Core only: protocols come from the registry, ways in from providers,
 * and the chat side from the answer factory.
 */
export function createConversations(deps: {
  store: Store;
  protocols: ReadonlyMap<string, ProtocolModule>;
  reach(agent: Agent): Reach;
  answers: AnswerFactory;
  permissions: PermissionCards;
  stopButtons: StopButtons;
  permissionTtlMs: number;
  /** FLEETBOT_AUDIT_PROMPTS: the audit keeps prompts' words, not only their size. */
  auditPrompts: boolean;
  clock: Clock;
  log: Logger;
}) {
  const { store, clock, log } = deps;
  const audit = auditLog(store);
  const pool = createSessionPool({ clock, log });
  const waits = createPermissionWaits({ clock });
  /** Each conversation's turns run one after another. */
  const queues = new Map<number, Promise<void>>();
  const running = new Map<number, Running>();
  const queued = new Map<number, Running>();

  const settingsFor = (agent: Agent): { chat: RoleChat; protocol: ProtocolModule } => {
    const chat = deps.reach(agent).role.chat;
    if (!chat)
      throw new UserError(
        `${agent.name} (role ${agent.role}) has no chat section in its role file, so it cannot be talked to. Add one (see the README: “Talking to agents”).`,
      );
    const protocol = deps.protocols.get(chat.protocol);
    if (!protocol)
      throw new UserError(
        `${agent.name}’s role names chat protocol ${chat.protocol}, which this fleetbot does not speak.`,
      );
    return { chat, protocol };
  };

  const mayTalk = (caller: Caller, agent: Agent, chat: RoleChat): void => {
    if (levelRank(caller.level) < levelRank(chat.level))
      throw new UserError(
        `Talking to ${agent.name} needs the ${chat.level} level; you are ${caller.level}. An admin can change that with /users.`,
      );
    if (agent.status !== 'running')
      throw new UserError(
        `${agent.name} is ${agent.status}, so it cannot answer now. /status ${agent.name} shows why.`,
      );
  };

  const openSession = async (
    conversation: Conversation,
    agent: Agent,
    chat: RoleChat,
    protocol: ProtocolModule,
  ): Promise<AgentSession> => {
    const reach = deps.reach(agent);
    const session = await protocol.open({
      agent,
      role: reach.role,
      chat,
      channels: reach.channels,
      ...(conversation.sessionId ? { previousSessionId: conversation.sessionId } : {}),
      history: store.conversations.byId(conversation.id)?.history ?? conversation.history,
      ...(reach.token ? { token: reach.token } : {}),
      clock,
      log: log.child({ agent: agent.name, conversation: conversation.id }),
    });
    store.conversations.saveSession(conversation.id, session.sessionId);
    return session;
  };

  const askPermission =
    (turn: Running, chatOfTurn: Caller['chat']) =>
    async (request: PermissionRequest, signal: AbortSignal): Promise<PermissionChoice> => {
      const wait = waits.open({
        asker: turn.requester,
        agent: turn.agent.name,
        conversationId: turn.conversationId,
        ttlMs: deps.permissionTtlMs,
        signal,
        onExpire: () =>
          void deps.permissions
            .sweep()
            .catch((err: unknown) => log.warn({ err }, 'could not mark an expired permission card')),
      });
      try {
        await deps.permissions.post({
          requestId: wait.id,
          agent: turn.agent.name,
          asker: turn.requester,
          request,
          chat: chatOfTurn,
          ttlMs: deps.permissionTtlMs,
        });
      } catch (err) {
        log.warn(
          { err, agent: turn.agent.name },
          'could not post a permission card; the request is rejected',
        );
        waits.answer(wait.id, 'reject');
      }
      const choice = await wait.choice;
      audit(
        { user: userOfKey(turn.requester), chat: chatOfTurn },
        'permission',
        choice,
        `${turn.agent.name}: ${request.title}`,
      );
      return choice;
    };

  /** A program cannot press Allow: what the agent asks for is declined at once, and audited. */
  const declinePermission =
    (turn: Running, chatOfTurn: Caller['chat']) =>
    (request: PermissionRequest): Promise<PermissionChoice> => {
      audit(
        { user: userOfKey(turn.requester), chat: chatOfTurn },
        'permission',
        'reject',
        `${turn.agent.name}: ${request.title} (asked over the API, which cannot answer)`,
      );
      return Promise.resolve('reject');
    };

  /** Queues a prompt on a conversation; the answer appears at once (queued, if a turn is running). */
  const submit = (
    caller: Caller,
    agent: Agent,
    conversationOf: () => Conversation,
    text: string,
    where: Omit<AnswerPlace, 'chat' | 'recipient' | 'onMessage'>,
  ): FeedEvents | undefined => {
    const { chat, protocol } = settingsFor(agent);
    mayTalk(caller, agent, chat);
    if (text.length > maxPromptChars)
      throw new UserError(
        `That prompt is ${text.length} characters; the limit is ${maxPromptChars}. Send it in parts, or as a file the agent can read.`,
      );
    const conversation = conversationOf();
    const turn = store.conversations.addTurn({
      conversationId: conversation.id,
      requester: caller.principal,
      promptChars: text.length,
    });
    audit(caller, 'ask', 'queued', `${agent.name}: ${text.length} characters`);
    if (deps.auditPrompts) audit(caller, 'ask prompt', agent.name, text.slice(0, auditedPromptChars));

    const entry: Running = {
      turnId: turn.id,
      conversationId: conversation.id,
      agent,
      chatKey: chatKey(caller.chat),
      requester: caller.principal,
      abort: new AbortController(),
    };
    // A program (an API key) gets the answer as events; nobody could see, stop or answer cards there.
    const feed = caller.scopes ? createFeedAnswer() : undefined;
    const answer =
      feed ??
      deps.answers({
        ...where,
        chat: caller.chat,
        recipient: caller.user,
        // Known at once, so a reply to a running answer joins its conversation (queued), and a press on
        // its Stop button is checked against the message it is on.
        onMessage: (ref) => {
          remember(conversation.id, [ref]);
          store.conversations.attachTurnMessage(turn.id, ref.messageId);
          entry.shownAt = ref;
          if (entry.stopPromptId) deps.stopButtons.attach(entry.stopPromptId, ref);
        },
      });
    const busy = queues.has(conversation.id);
    if (busy) {
      queued.set(turn.id, entry);
      answer.status([
        `⏳ Queued: ${agent.name} is still answering the last prompt. /stop ${agent.name} cancels both.`,
      ]);
    }

    const previous = queues.get(conversation.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      queued.delete(turn.id);
      if (entry.abort.signal.aborted) {
        const why = entry.abort.signal.reason as AbortReason;
        store.conversations.endTurn(turn.id, 'shutdown' in why ? 'interrupted' : 'cancelled');
        await answer.finish(
          'shutdown' in why
            ? '⚠️ Not sent: fleetbot is restarting. Send it again.'
            : `⏹ Not sent: stopped by ${why.by}.`,
        );
        return;
      }
      running.set(turn.id, entry);
      store.conversations.startTurn(turn.id, null);
      let session: AgentSession;
      try {
        session = await pool.acquire(conversation.id, () => openSession(conversation, agent, chat, protocol));
      } catch (err) {
        running.delete(turn.id);
        const reason = `Could not start a conversation with ${agent.name}: ${errorMessage(err)}`;
        store.conversations.endTurn(turn.id, 'failed', reason.slice(0, 500));
        remember(
          conversation.id,
          await answer.fail(`${reason}\nTry again; /logs ${agent.name} shows the agent’s own log.`),
        );
        return;
      }
      const notice =
        session.start.kind === 'restarted'
          ? `↺ A new session: ${agent.name} could not continue the earlier one (${session.start.why}).`
          : undefined;
      try {
        const outcome = await runTurn({
          session,
          prompt: text,
          answer,
          signal: entry.abort.signal,
          verbose: store.conversations.verbose(caller.chat),
          ...(notice ? { notice } : {}),
          askPermission: feed ? declinePermission(entry, caller.chat) : askPermission(entry, caller.chat),
          stopButton: stopButtonOf(entry, answer, caller.chat),
          clock,
          log: log.child({ agent: agent.name, turn: turn.id }),
        });
        store.conversations.endTurn(turn.id, outcome.status, outcome.detail);
        if (outcome.refs[0]) store.conversations.attachTurnMessage(turn.id, outcome.refs[0].messageId);
        remember(conversation.id, outcome.refs);
        if (outcome.status !== 'failed')
          store.conversations.appendHistory(conversation.id, [
            { role: 'user', content: text },
            { role: 'assistant', content: outcome.text },
          ]);
        audit(caller, 'ask', outcome.status, `${agent.name}: ${outcome.text.length} characters back`);
      } finally {
        running.delete(turn.id);
        pool.release(conversation.id, chat.idle);
      }
    });
    const settled = next.catch((err: unknown) =>
      log.error({ err, turn: turn.id }, 'a turn failed outside its answer'),
    );
    queues.set(conversation.id, settled);
    void settled.then(() => {
      if (queues.get(conversation.id) === settled) queues.delete(conversation.id);
    });
    return feed ? (after, signal) => feed.events(after, signal) : undefined;
  };

  const stopButtonOf = (entry: Running, answer: Answer, chatOfTurn: ChatRef) => ({
    offer: (): void => {
      const { promptId, row } = deps.stopButtons.issue({
        turnId: entry.turnId,
        agent: entry.agent.name,
        asker: entry.requester,
        chat: chatOfTurn,
      });
      entry.stopPromptId = promptId;
      if (entry.shownAt) deps.stopButtons.attach(promptId, entry.shownAt);
      answer.buttons([row]);
    },
    withdraw: (): void => {
      if (entry.stopPromptId) deps.stopButtons.close(entry.stopPromptId);
      answer.buttons(undefined);
    },
  });

  const remember = (conversationId: number, refs: MessageRef[]): void => {
    for (const ref of refs) store.conversations.rememberMessage(conversationId, ref);
  };

  const liveAgent = (agentId: number): Agent => {
    const agent = store.agents.byId(agentId);
    if (!agent || agent.status === 'destroyed' || agent.status === 'destroying')
      throw new UserError(
        'That conversation’s agent is gone. /list shows the agents; /ask <agent> starts a new conversation.',
      );
    return agent;
  };

  return {
    /** `/ask <agent> <prompt>`: a new conversation in this chat. */
    /** `/ask <agent> <prompt>`: a new conversation in this chat; a program gets the answer's events. */
    ask(caller: Caller, p: { agent: Agent; text: string; direct: boolean }): FeedEvents | undefined {
      const start = () =>
        store.conversations.create({ agentId: p.agent.id, chat: caller.chat, startedBy: caller.principal });
      return submit(caller, p.agent, start, p.text, { direct: p.direct });
    },

    /**
     * Whether a plain message is for a conversation: a reply to one of fleetbot's answers, or a
     * message in a private chat with `/chat` on. Anything else is not fleetbot's business.
     */
    isFor(inbound: Extract<Inbound, { kind: 'message' }>): boolean {
      if (inbound.replyTo && store.conversations.answeredBy(inbound.replyTo)) return true;
      return inbound.direct && store.conversations.chatMode(inbound.chat) !== undefined;
    },
    /** A plain message `isFor` took: it continues the conversation it replies to, or the /chat one. */
    message(caller: Caller, inbound: Extract<Inbound, { kind: 'message' }>): void {
      const where = { direct: inbound.direct, replyTo: inbound.message };
      const replied = inbound.replyTo && store.conversations.answeredBy(inbound.replyTo);
      if (replied) {
        submit(caller, liveAgent(replied.agentId), () => replied, inbound.text, where);
        return;
      }
      const agentId = inbound.direct ? store.conversations.chatMode(caller.chat) : undefined;
      if (agentId === undefined) return;
      const agent = liveAgent(agentId);
      const carryOn = () =>
        store.conversations.latest(agent.id, caller.chat) ??
        store.conversations.create({ agentId: agent.id, chat: caller.chat, startedBy: caller.principal });
      submit(caller, agent, carryOn, inbound.text, where);
    },

    /** `/chat <agent>` (private chats): plain messages here go to it until `/chat off`. */
    chatWith(caller: Caller, agent: Agent | undefined): void {
      if (agent) {
        const { chat } = settingsFor(agent);
        mayTalk(caller, agent, chat);
      }
      store.conversations.setChatMode(caller.chat, agent?.id);
    },
    chattingWith: (caller: Caller): number | undefined => store.conversations.chatMode(caller.chat),

    setVerbose: (caller: Caller, on: boolean): void => store.conversations.setVerbose(caller.chat, on),

    /** `/stop <agent>`: cancels its running and queued turns in this chat; how many. */
    stop(caller: Caller, agent: Agent): number {
      const here = chatKey(caller.chat);
      const mine = [...running.values(), ...queued.values()].filter(
        (t) => t.agent.id === agent.id && t.chatKey === here,
      );
      const allowed = mine.filter((t) => actsForAsker(caller, t.requester));
      if (mine.length > 0 && allowed.length === 0)
        throw new UserError(`Only the person who asked, or an operator, can stop ${agent.name}’s answer.`);
      for (const t of allowed) t.abort.abort({ by: caller.principal } satisfies AbortReason);
      return allowed.length;
    },

    /**
     * The Stop button on a running answer (its card checked who may press): cancels that turn; false
     * when it had already ended.
     */
    stopTurn(caller: Caller, turnId: number): boolean {
      const t = running.get(turnId);
      if (!t || t.abort.signal.aborted) return false;
      t.abort.abort({ by: caller.principal } satisfies AbortReason);
      return true;
    },

    answerPermission: (requestId: string, choice: PermissionChoice): boolean =>
      waits.answer(requestId, choice),

    /**
     * At start: turns that were running or queued when fleetbot last stopped (killed, or crashed)
     * are marked interrupted, and their answers say so, so nobody waits on one.
     */
    async recoverInterrupted(
      tell: (ref: MessageRef, text: string) => Promise<MessageRef | undefined>,
    ): Promise<number> {
      const open = store.conversations.openTurns();
      for (const turn of open) {
        store.conversations.endTurn(turn.id, 'interrupted', 'fleetbot stopped during this turn');
        if (!turn.messageId) continue;
        const ref = { chat: turn.chat, messageId: turn.messageId };
        const notice = await tell(
          ref,
          '⚠️ This answer was interrupted: fleetbot restarted. Reply to carry on the conversation.',
        ).catch((err: unknown) => {
          log.warn({ err, turn: turn.id }, 'could not mark an interrupted answer');
          return undefined;
        });
        if (notice) store.conversations.rememberMessage(turn.conversationId, notice);
      }
      return open.length;
    },

    /** Fleetbot stops: running answers end as interrupted, queued ones are not sent, sessions close. */
    async shutdown(): Promise<void> {
      const turns = [...running.values(), ...queued.values()];
      for (const t of turns) t.abort.abort({ shutdown: true } satisfies AbortReason);
      await Promise.allSettled([...queues.values()]);
      pool.closeAll();
    },
  };
}

export type Conversations = ReturnType<typeof createConversations>;
