import { afterEach, expect, it } from 'vitest';
import { message } from '../../src/core/chat/outbound.js';
import type {
  Bridge,
  Button,
  ChatRef,
  Inbound,
  MessageRef,
  Outbound,
  UserRef,
} from '../../src/core/chat/types.js';

/** What a person sees of one message in their chat. */
export type SeenMessage = { messageId: string; text: string };

/** A bridge started against its platform (a fake, or streams), with a person at the other end. */
export type StartedBridge = {
  bridge: Bridge;
  /** The person's one-to-one chat with the bot, and the person, as the bridge names them. */
  chat: ChatRef;
  user: UserRef;
  /** The person writes text in their chat, as they would type it on this platform. */
  type(text: string): void;
  /** The person writes plain text (no command) in their chat with the bot. */
  say(text: string): void;
  /** The person presses a button shown on a message. */
  press(ref: MessageRef, button: Button): Promise<void>;
  /** What the person sees now of each message in the chat, oldest first. */
  seen(): SeenMessage[];
  /** What the platform refused or found wrong in what the bridge sent (too long, bad markup). */
  problems(): string[];
  /** Shuts the platform's side down (the fake, the streams); the bridge is stopped already. */
  close(): Promise<void>;
};

export type BridgeHarness = {
  name: string;
  /** Starts a fresh bridge; everything a person sends reaches `received`. */
  start(received: Inbound[]): Promise<StartedBridge>;
};

/** Waits until the predicate holds, polling; fails with what was awaited when it never does. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What every bridge must do, whatever its platform: the tests run against the harness, which knows how
 * to play the person on that platform.
 */
export function bridgeContract(harness: BridgeHarness): void {
  let started: StartedBridge | undefined;
  let stopped = false;
  const received: Inbound[] = [];
  afterEach(async () => {
    if (started && !stopped) await started.bridge.stop();
    await started?.close();
    started = undefined;
    stopped = false;
    received.length = 0;
  });
  const start = async (): Promise<StartedBridge> => {
    started = await harness.start(received);
    return started;
  };
  const seenOf = (h: StartedBridge, ref: MessageRef): string | undefined =>
    h.seen().find((m) => m.messageId === ref.messageId)?.text;

  it('delivers what a person types as a command from their chat and them', async () => {
    const h = await start();
    h.type('/status alice');
    await until(() => received.length > 0, 'the command to reach deliver');
    expect(received).toEqual([
      expect.objectContaining({
        kind: 'command',
        text: '/status alice',
        direct: true,
        chat: expect.objectContaining({ platform: h.chat.platform, chatId: h.chat.chatId }) as ChatRef,
        user: expect.objectContaining({ platform: h.user.platform, userId: h.user.userId }) as UserRef,
      }),
    ]);
  });

  it('delivers plain text as a message with a reference to it, not as a command', async () => {
    const h = await start();
    h.say('how is alice doing?');
    await until(() => received.length > 0, 'the message to reach deliver');
    expect(received).toEqual([
      expect.objectContaining({
        kind: 'message',
        text: 'how is alice doing?',
        direct: true,
        message: expect.objectContaining({ messageId: expect.any(String) as string }) as MessageRef,
        user: expect.objectContaining({ userId: h.user.userId }) as UserRef,
      }),
    ]);
  });

  it('sends a message the person sees, and returns a reference to it', async () => {
    const h = await start();
    const ref = await h.bridge.send(h.chat, message('Hello from fleetbot', 'second line'));
    expect(ref.chat).toMatchObject({ platform: h.chat.platform, chatId: h.chat.chatId });
    await until(() => seenOf(h, ref) !== undefined, 'the message to show');
    expect(h.seen()).toEqual([{ messageId: ref.messageId, text: 'Hello from fleetbot\nsecond line' }]);
  });

  it('edits that message in place', async () => {
    const h = await start();
    const ref = await h.bridge.send(h.chat, message('Deploying alice…'));
    await h.bridge.edit(ref, message('Deployed alice'));
    await until(() => seenOf(h, ref) === 'Deployed alice', 'the edit to show');
    expect(h.seen().map((m) => m.text)).toEqual(['Deployed alice']);
  });

  it('brings a button press back as an action with the button’s id and its message', async () => {
    const h = await start();
    const approve: Button = { id: 'Xq3bT9kLmN2p', label: 'Approve' };
    const sent: Outbound = {
      ...message('Destroy alice?'),
      buttons: [[approve, { id: 'other', label: 'No' }]],
    };
    const ref = await h.bridge.send(h.chat, sent);
    await until(() => seenOf(h, ref) !== undefined, 'the card to show');
    await h.press(ref, approve);
    await until(() => received.length > 0, 'the press to reach deliver');
    expect(received).toEqual([
      expect.objectContaining({
        kind: 'action',
        actionId: approve.id,
        message: expect.objectContaining({ messageId: ref.messageId }) as MessageRef,
        chat: expect.objectContaining({ chatId: h.chat.chatId }) as ChatRef,
        user: expect.objectContaining({ userId: h.user.userId }) as UserRef,
      }),
    ]);
  });

  it('sends long text whole, split where the platform needs it, in messages it accepts', async () => {
    const h = await start();
    const size = Math.min(2 * h.bridge.limits.maxTextLength, 20_000);
    const lines = Array.from({ length: Math.ceil(size / 100) }, (_, i) =>
      `line ${String(i).padStart(4, '0')} `.padEnd(99, 'x'),
    );
    const ref = await h.bridge.send(h.chat, message(...lines));
    await until(() => seenOf(h, ref) !== undefined, 'the last part to show');
    const seen = h.seen();
    expect(seen.map((m) => m.text).join('\n')).toBe(lines.join('\n'));
    if (lines.join('\n').length > h.bridge.limits.maxTextLength) expect(seen.length).toBeGreaterThan(1);
    expect(h.problems()).toEqual([]);
  });

  it('shows markup characters literally, never as formatting, links or mentions', async () => {
    const h = await start();
    const literal = '<b>not bold</b> & <i>x</i> &amp; <@U0BOT> <!channel> <https://evil.example|click>';
    const ref = await h.bridge.send(h.chat, message(literal));
    await until(() => seenOf(h, ref) !== undefined, 'the message to show');
    expect(seenOf(h, ref)).toBe(literal);
    expect(h.problems()).toEqual([]);
  });

  it('stops: nothing the person types afterwards is delivered', async () => {
    const h = await start();
    await h.bridge.stop();
    stopped = true;
    h.type('/status alice');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toEqual([]);
  });
}
