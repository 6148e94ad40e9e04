import { Writable } from 'node:stream';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { authenticateApiKey } from '../src/core/access/apiKeys.js';
import { createLogger } from '../src/core/runtime/logging.js';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { tempDir } from './support/env.js';

/** Every row of every table, as text: what the store holds, wherever it is. */
function everythingStored(file: string): string {
  const db = new Database(file, { readonly: true });
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all();
  const dump = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
  db.close();
  return dump;
}

describe('API keys from the console', () => {
  const defer = useCleanups();

  it('creates a key shown once, lists and revokes it, and neither the log nor the store ever holds it', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const log = createLogger({ level: 'trace', pretty: false, destination: sink });
    const s = await startConsoleBot(tmp.dir, {}, { log });
    defer(() => s.stop());

    await s.type('/keys');
    expect(s.lastText()).toMatch(/^No API keys yet\.\nMake one in a private chat with the bot: /);

    await s.type('/keys create deployer agents:read agents:deploy --ttl 90d');
    const shown = s.lastText();
    const key = /fbk_[A-Za-z0-9_-]{43}/.exec(shown)?.[0];
    expect(key).toBeDefined();
    expect(shown).toMatch(
      /^Key deployer made with agents:read, agents:deploy: it acts as api:deployer with operator rights, until \d{4}-\d\d-\d\dT[\d:.]+Z\.\nfbk_\S+\nThis is the only time it is shown/,
    );
    expect(authenticateApiKey(s.bot.store, Date.now, key)).toMatchObject({
      ok: true,
      principal: 'api:deployer',
    });

    await s.type('/keys create deployer agents:read');
    expect(s.lastText()).toBe(
      'There is already a key named deployer. Pick another name, or revoke it first with /keys revoke deployer.',
    );
    await s.type('/keys create');
    expect(s.lastText()).toMatch(/^Name the key: \/keys create <name> <scope>…\.\nUsage: /);
    await s.type('/keys create nightly');
    expect(s.lastText()).toMatch(
      /^Name at least one scope: agents:read, agents:deploy, agents:destroy, agents:chat, admin\./,
    );
    await s.type('/keys revoke deployer nightly');
    expect(s.lastText()).toMatch(/^Revoke one key at a time: \/keys revoke <name>\./);
    await s.type('/keys create nightly agents:everything');
    expect(s.lastText()).toMatch(
      /^"agents:everything" is not a scope\. Scopes: agents:read, agents:deploy, /,
    );
    await s.type('/keys create nightly agents:read --ttl 5m');
    expect(s.lastText()).toMatch(/^--ttl: at least 1h, e\.g\. --ttl 90d\./);

    await s.type('/keys');
    expect(s.lastText()).toMatch(
      /^API keys \(1\)\ndeployer agents:read, agents:deploy · by console:local · last used \d+ s ago · live, expires \d{4}-\d\d-\d\d$/,
    );

    await s.type('/keys revoke deployer');
    expect(s.lastText()).toBe('Revoked deployer: every request with it is refused from now on.');
    expect(authenticateApiKey(s.bot.store, Date.now, key)).toMatchObject({ ok: false, reason: 'revoked' });
    await s.type('/keys');
    expect(s.lastText()).toMatch(/^API keys \(1\)\ndeployer .* · revoked \d{4}-\d\d-\d\d$/);
    // Exactly once: the console printed the key in one message and nowhere else.
    expect(s.output().split(key!).length).toBe(2);

    await s.stop();
    const audit = everythingStored(path.join(tmp.dir, 'fleetbot.db'));
    expect(audit).toContain('/keys create deployer agents:read agents:deploy --ttl 90d');
    expect(audit).toContain('/keys revoke deployer');
    expect(audit).not.toContain(key);
    expect(audit).not.toContain(key!.slice(4));
    expect(logged).toContain('"msg"');
    expect(logged).not.toContain(key);
    expect(logged).not.toContain(key!.slice(4));
  });
});
