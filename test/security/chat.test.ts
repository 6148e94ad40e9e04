import { afterEach, describe, it } from 'vitest';
import { countConnections } from '../support/connectionCounter.js';
import { tempDir } from '../support/env.js';
import { ann, startSlackBot } from '../support/slackSession.js';
import { attempted } from './tally.js';

// Chat members and strangers attacking fleetbot through its chats.
describe('chat-side attacks', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a forged slash command’s response_url cannot make fleetbot connect to an address inside its network', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const s = await startSlackBot(tmp.dir, { env: { FLEETBOT_CHATS: 'slack:CNEW' } });
    cleanups.push(() => s.stop());
    const inside = await countConnections('127.0.0.2');
    cleanups.push(() => inside.close());
    // fleetbot falls back to response_url when it cannot post in the channel.
    s.fake.botNotIn('CNEW');
    await s.handled(
      s.fake.slashCommand({ user: ann, channel: 'CNEW', text: 'list', responseUrl: inside.url('/hook') }),
    );
    attempted('a forged response_url (https on a loopback address) is posted to', inside.count > 0);
  });
});
