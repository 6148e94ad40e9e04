import { openStore, type Store } from '../../src/core/store/index.js';
import type { Caller } from '../../src/core/access/access.js';

import type {
  AgentSession,
  PermissionChoice,
  PermissionRequest,
  ProtocolModule,
  TurnEnd,
  TurnEvents,
} from '../../src/core/conversations/protocol.js';
import {
  createConversations,
  type AnswerFactory,
  type AnswerPlace,
  type PermissionCards,
  type StopButtons,
} from '../../src/core/conversations/service.js';
import type { Role } from '../../src/core/fleet/roles.js';
import type { Button, MessageRef } from '../../src/core/chat/types.js';
import type { AgentChannels } from '../../src/core/fleet/provider.js';
import { manualClock } from '../support/manualClock.js';
import { silentLog, tempDir } from '../support/env.js';
import path from 'node:path';
import { z } from 'zod';

/** One answer as a chat would end up showing it. */
export type RecordedAnswer = {
  opts: AnswerPlace;
  text: string;
  status: string[] | undefined;
  statuses: (string[] | undefined)[];
  files: { name: string; content: string }[];
  /** The buttons on the answer now, and each change of them. */
  buttons: Button[][] | undefined;
  buttonChanges: (Button[][] | undefined)[];
  ended?: { footer?: string; failed?: string };
  refs: MessageRef[];
};

/** A scripted turn: what the fake agent does with a prompt. */
export type Script = (
  prompt: string,
  events: TurnEvents,
  signal: AbortSignal,
  session: { id: string; previous?: string },
) => Promise<TurnEnd>;

/** Conversations over a real store, with a scripted protocol and answers recorded as a chat shows them. */
export function conversationsHarness(opts: { auditPrompts?: boolean; level?: Caller['level'] } = {}) {
  const { dir, cleanup } = tempDir('fleetbot-conv-');
  const clock = manualClock();
  const store: Store = openStore(path.join(dir, 'fleetbot.db'), clock);
  const answers: RecordedAnswer[] = [];
  let nextMessage = 1;
  const posted: { requestId: string; request: PermissionRequest; asker: string }[] = [];
  const opened: { previous?: string; history: unknown[] }[] = [];
  const closed: string[] = [];
  let script: Script = async (prompt, events) => {
    events.text(`echo: ${prompt}`);
    return { stop: 'end_turn' };
  };
  let failOpen: string | undefined;
  let sessions = 0;

  const protocol: ProtocolModule = {
    name: 'scripted',
    chatSchema: z.object({}),
    async open(req) {
      if (failOpen) throw new Error(failOpen);
      opened.push({
        ...(req.previousSessionId ? { previous: req.previousSessionId } : {}),
        history: req.history,
      });
      const id = `session-${++sessions}`;
      let alive = true;
      const session: AgentSession = {
        sessionId: id,
        start: req.previousSessionId ? { kind: 'loaded' } : { kind: 'new' },
        get alive() {
          return alive;
        },
        prompt: (text, events, signal) =>
          script(text, events, signal, {
            id,
            ...(req.previousSessionId ? { previous: req.previousSessionId } : {}),
          }),
        async close() {
          alive = false;
          closed.push(id);
        },
      };
      return session;
    },
  };

  const answerFactory: AnswerFactory = (answerOpts) => {
    const a: RecordedAnswer = {
      opts: answerOpts,
      text: '',
      status: undefined,
      statuses: [],
      files: [],
      buttons: undefined,
      buttonChanges: [],
      refs: [],
    };
    answers.push(a);
    const end = async (ended: RecordedAnswer['ended']): Promise<MessageRef[]> => {
      a.ended = ended;
      a.refs = [{ chat: answerOpts.chat, messageId: String(nextMessage++) }];
      return a.refs;
    };
    return {
      append: (delta) => (a.text += delta),
      status: (lines) => {
        a.status = lines;
        a.statuses.push(lines);
      },
      attach: (file) => a.files.push(file),
      buttons: (rows) => {
        a.buttons = rows;
        a.buttonChanges.push(rows);
      },
      finish: (footer) => end(footer === undefined ? {} : { footer }),
      fail: (reason) => end({ failed: reason }),
    };
  };

  const permissions: PermissionCards & { sweeps: number } = {
    sweeps: 0,
    async post(p) {
      posted.push({ requestId: p.requestId, request: p.request, asker: p.asker });
    },
    async sweep() {
      permissions.sweeps++;
    },
  };

  const stopButtons: StopButtons & { issued: { promptId: string; turnId: number; asker: string }[] } & {
    closed: string[];
  } = {
    issued: [],
    closed: [],
    issue(p) {
      const promptId = `stop-${stopButtons.issued.length + 1}`;
      stopButtons.issued.push({ promptId, turnId: p.turnId, asker: p.asker });
      return { promptId, row: [{ id: promptId, label: '⏹ Stop', style: 'danger' }] };
    },
    attach: () => undefined,
    close: (promptId) => void stopButtons.closed.push(promptId),
  };

  const role = {
    name: 'swe',
    chat: { protocol: 'scripted', level: opts.level ?? 'operator', idle: 60_000 },
  } as Role;
  const channels = {} as AgentChannels;
  const conversations = createConversations({
    store,
    protocols: new Map([['scripted', protocol]]),
    reach: () => ({ role, channels }),
    answers: answerFactory,
    permissions,
    stopButtons,
    permissionTtlMs: 600_000,
    auditPrompts: opts.auditPrompts ?? false,
    clock,
    log: silentLog,
  });

  const agent = store.agents.create({ name: 'alice', role: 'swe', provider: 'local', owner: 'telegram:1' });
  store.agents.update(agent.id, { status: 'running' });

  const caller = (userId: string, level: Caller['level'] = 'operator', chatId = 'c1'): Caller => ({
    user: { platform: 'telegram', userId },
    chat: { platform: 'telegram', chatId },
    level,
    principal: `telegram:${userId}`,
  });

  return {
    store,
    clock,
    conversations,
    answers,
    posted,
    opened,
    closed,
    permissions,
    stopButtons,
    agent: () => store.agents.byId(agent.id)!,
    caller,
    script: (s: Script) => (script = s),
    failOpen: (why: string | undefined) => (failOpen = why),
    /** Lets queued turns run. */
    settle: () => clock.advance(0),
    close: () => {
      store.close();
      cleanup();
    },
  };
}

/** A promise and its resolver, for scripts that wait on the test. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

export type { PermissionChoice };
