import { PassThrough } from 'node:stream';
import { describe } from 'vitest';
import { createConsoleBridge } from '../../src/bridges/console/index.js';
import type { Inbound } from '../../src/core/chat/types.js';
import { startFakeSlack } from '../fakes/slack/index.js';
import { startFakeTelegram } from '../fakes/telegram/index.js';
import { parseConsoleOutput } from '../support/consoleSession.js';
import { memoryHost } from '../support/memoryHost.js';
import * as slackPeople from '../support/slackSession.js';
import * as telegramPeople from '../support/telegramSession.js';
import { bridgeContract, type BridgeHarness } from './bridge.case.js';

const record = (received: Inbound[]) => async (inbound: Inbound) => void received.push(inbound);

const telegram: BridgeHarness = {
  name: 'telegram',
  async start(received) {
    const { ann, annDm } = telegramPeople;
    const fake = await startFakeTelegram({ perChatPerSecond: 20, perChatBurst: 3, groupPerMinute: 600 });
    const fatal: Error[] = [];
    const bridge = telegramPeople.fakeTelegramBridge(fake, {
      onFatal: (err) => fatal.push(err),
      pace: telegramPeople.scaledPace,
      pollTimeoutSeconds: 1,
    });
    await bridge.start(record(received), memoryHost().host);
    return {
      bridge,
      chat: { platform: 'telegram', chatId: String(annDm.id) },
      user: { platform: 'telegram', userId: String(ann.id) },
      type: (text) => void fake.sendText({ chat: annDm, from: ann, text }),
      say: (text) => void fake.sendText({ chat: annDm, from: ann, text }),
      press: async (ref, button) =>
        void fake.pressButton({ chat: annDm, from: ann, messageId: Number(ref.messageId), data: button.id }),
      seen: () =>
        fake
          .messages(annDm.id)
          .filter((m) => !m.deleted)
          .map((m) => ({ messageId: String(m.messageId), text: m.plainText })),
      problems: () => [
        ...fake.violations.map((v) => `${v.method}: ${v.problem}`),
        ...fatal.map((e) => e.message),
      ],
      close: () => fake.close(),
    };
  },
};

const slack: BridgeHarness = {
  name: 'slack',
  async start(received) {
    const { ann, annDm } = slackPeople;
    const fake = await startFakeSlack();
    const fatal: Error[] = [];
    const bridge = slackPeople.socketSlackBridge(fake, { onFatal: (err) => fatal.push(err) });
    await bridge.start(record(received), memoryHost().host);
    return {
      bridge,
      chat: { platform: 'slack', chatId: annDm },
      user: { platform: 'slack', userId: ann.id },
      type(text) {
        // With no app connected, Slack has nowhere to deliver to.
        if (fake.socket.open) fake.slashCommand({ user: ann, channel: annDm, text: text.replace(/^\//, '') });
      },
      say: (text) => void fake.dm({ user: ann, channel: annDm, text }),
      press: async (ref, button) =>
        void fake.press({ user: ann, channel: annDm, messageTs: ref.messageId, actionId: button.id }),
      seen: () => fake.messages(annDm).map((m) => ({ messageId: m.ts, text: m.shown })),
      problems: () => [
        ...fake.violations.map((v) => `${v.method}: ${v.problem}`),
        ...fatal.map((e) => e.message),
      ],
      close: () => fake.close(),
    };
  },
};

const consoleStreams: BridgeHarness = {
  name: 'console',
  async start(received) {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const bridge = createConsoleBridge({ input, output, tty: false });
    await bridge.start(record(received), memoryHost().host);
    const seen = () =>
      parseConsoleOutput(printed).map((m) => ({ messageId: m.id, text: m.versions.at(-1)! }));
    return {
      bridge,
      chat: { platform: 'console', chatId: 'local' },
      user: { platform: 'console', userId: 'local' },
      type: (text) => void input.write(`${text}\n`),
      say: (text) => void input.write(`${text}\n`),
      async press(ref, button) {
        // A button shows as `[n] label`; the person types its number.
        const shown = seen().find((m) => m.messageId === ref.messageId)?.text ?? '';
        const number = shown
          .split(/ {3}|\n/)
          .map((part) => /^\[(\d+)\] (.*)$/.exec(part))
          .find((match) => match?.[2] === button.label)?.[1];
        if (!number) throw new Error(`no button ${button.label} on message ${ref.messageId}`);
        input.write(`${number}\n`);
      },
      seen,
      problems: () => [],
      close: async () => void input.end(),
    };
  },
};

/** Every bridge, one row each: a new bridge gets the whole contract by adding its harness here. */
const harnesses: BridgeHarness[] = [telegram, slack, consoleStreams];

for (const harness of harnesses) describe(`${harness.name} bridge contract`, () => bridgeContract(harness));
