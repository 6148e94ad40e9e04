import { describe, expect, it } from 'vitest';
import { decodeAction, decodeCommand, decodeEvent, type Decoded } from '../../src/bridges/slack/inbound.js';
import { hostileText, mutate } from './support/hostile.js';
import { fuzzRng, type Rng } from './support/random.js';
import { count } from './tally.js';

const perKind = 3_000;
const botUserId = 'UBOT';

const command = (rng: Rng) => ({
  command: rng.pick(['/fleet', '/deploy', hostileText(rng)]),
  text: hostileText(rng),
  user_id: 'U123',
  user_name: 'ann',
  channel_id: rng.pick(['C123', 'D123', 'G123']),
  trigger_id: '1.2.abc',
  response_url: 'https://hooks.slack.test/commands/1',
});

const event = (rng: Rng) => ({
  event_id: 'Ev1',
  event: {
    type: rng.pick(['app_mention', 'message']),
    channel: rng.pick(['C123', 'D123']),
    channel_type: rng.pick(['im', 'channel']),
    user: 'U123',
    text: `${rng.chance(0.5) ? `<@${botUserId}> ` : ''}${hostileText(rng)}`,
    thread_ts: '1700000000.000100',
  },
});

const action = (rng: Rng) => ({
  type: 'block_actions',
  trigger_id: '1.2.abc',
  user: { id: 'U123', username: 'ann' },
  container: { message_ts: '1700000000.000100', channel_id: 'C123', is_ephemeral: rng.chance(0.2) },
  actions: [{ action_id: hostileText(rng) }],
});

const decoders: [string, (rng: Rng) => unknown, (body: unknown) => Decoded][] = [
  ['slash command', command, (b) => decodeCommand(b, new Date())],
  ['event', event, (b) => decodeEvent(b, botUserId, new Date())],
  ['button press', action, (b) => decodeAction(b, new Date())],
];

describe('Slack inbound decoding under random payloads', () => {
  it.each(decoders)(
    `decodes ${perKind} mutated %s payloads into an inbound or an ignore, never a throw`,
    (kind, valid, decode) => {
      const rng = fuzzRng(`slack ${kind}`);
      for (let i = 0; i < perKind; i++) {
        const result = decode(mutate(rng, valid(rng)));
        count('inputs');
        if (result.kind === 'ignored') {
          expect(result.reason).not.toBe('');
          continue;
        }
        expect(result.once).not.toBe('');
        expect(result.inbound.chat.chatId).not.toBe('');
        expect(result.inbound.user.userId).not.toBe('');
      }
    },
  );
});
