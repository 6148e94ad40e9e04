import { randomUUID } from 'node:crypto';

// What Slack sends the app, shaped as in docs.slack.dev (wire-protocols.md §2.4, §2.6).

export type FakeUser = { id: string; name: string };
export type Kind = 'slash_commands' | 'events_api' | 'interactive';
export type Delivery = { kind: Kind; payload: Record<string, unknown> };

let seq = 0;
const next = (): number => ++seq;
const team = { id: 'T0FLEET', domain: 'fleet-test' };

export const slashCommand = (p: {
  user: FakeUser;
  channel: string;
  text: string;
  command?: string;
  responseUrl: string;
}): Delivery => ({
  kind: 'slash_commands',
  payload: {
    token: 'verification-token',
    team_id: team.id,
    team_domain: team.domain,
    channel_id: p.channel,
    channel_name: p.channel.startsWith('D') ? 'directmessage' : 'ops',
    user_id: p.user.id,
    user_name: p.user.name,
    command: p.command ?? '/fleet',
    text: p.text,
    api_app_id: 'A0FLEET',
    is_enterprise_install: 'false',
    response_url: p.responseUrl,
    trigger_id: `${next()}.${Date.now()}.${randomUUID().replace(/-/g, '')}`,
  },
});

const eventCallback = (event: Record<string, unknown>): Delivery => ({
  kind: 'events_api',
  payload: {
    token: 'verification-token',
    team_id: team.id,
    api_app_id: 'A0FLEET',
    event,
    type: 'event_callback',
    event_id: `Ev${String(next()).padStart(10, '0')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: team.id, user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  },
});

const ts = (): string => `${Math.floor(Date.now() / 1000)}.${String(next()).padStart(6, '0')}`;

export const mention = (p: {
  user: FakeUser;
  channel: string;
  text: string;
  threadTs?: string;
}): Delivery => {
  const at = ts();
  return eventCallback({
    type: 'app_mention',
    user: p.user.id,
    text: p.text,
    ts: at,
    channel: p.channel,
    event_ts: at,
    ...(p.threadTs ? { thread_ts: p.threadTs } : {}),
  });
};

/** A person's message: in a DM (D…), a channel (C…), or a thread when threadTs names its root. */
export const userMessage = (p: {
  user: FakeUser;
  channel: string;
  text: string;
  threadTs?: string;
}): Delivery => {
  const at = ts();
  return eventCallback({
    type: 'message',
    channel_type: p.channel.startsWith('D') ? 'im' : 'channel',
    user: p.user.id,
    text: p.text,
    ts: at,
    channel: p.channel,
    event_ts: at,
    ...(p.threadTs ? { thread_ts: p.threadTs } : {}),
  });
};

/** What else happens in a channel: someone joins, edits a message, another app posts. */
export const channelEvent = (event: Record<string, unknown>): Delivery => eventCallback(event);

export const buttonPress = (p: {
  user: FakeUser;
  channel: string;
  messageTs: string;
  actionId: string;
  value?: string;
  responseUrl: string;
}): Delivery => ({
  kind: 'interactive',
  payload: {
    type: 'block_actions',
    team,
    user: { id: p.user.id, username: p.user.name, name: p.user.name, team_id: team.id },
    api_app_id: 'A0FLEET',
    token: 'verification-token',
    container: { type: 'message', message_ts: p.messageTs, channel_id: p.channel, is_ephemeral: false },
    trigger_id: `${next()}.${Date.now()}.${randomUUID().replace(/-/g, '')}`,
    channel: { id: p.channel, name: 'ops' },
    message: { type: 'message', user: 'U0BOT', ts: p.messageTs, text: '' },
    state: { values: {} },
    response_url: p.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: p.actionId,
        block_id: 'actions-0',
        value: p.value ?? p.actionId,
        action_ts: ts(),
      },
    ],
    is_enterprise_install: false,
  },
});
