import type { Api } from 'grammy';
import type { Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';
import type { BridgeHost, Inbound, InboundHandler } from '../../core/chat/types.js';
import { createLanes } from '../shared/lanes.js';
import { classify } from './errors.js';
import { decodeUpdate } from './inbound.js';
import { grammySignal } from './signal.js';

const cursorKey = 'telegram:offset';

/**
 * Hands updates, however they arrived (a long poll, a webhook), to core: each once, a chat's commands
 * and messages in order, button presses answered so the client stops its spinner.
 */
export function createUpdateReceiver(opts: {
  api: Api;
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  host: BridgeHost;
  deliver: InboundHandler;
  /** The bot's own user id, so a reply to one of its messages is told from other chatter. */
  botId: number;
}) {
  const { api, clock, log, host, deliver } = opts;
  const untilStop = grammySignal(opts.signal);
  const lanes = createLanes(log);

  const answerPress = async (inbound: Inbound, callbackQueryId: string): Promise<void> => {
    let answered = false;
    const answer = async (text?: string, alert?: boolean): Promise<void> => {
      if (answered) return;
      answered = true;
      await api
        .answerCallbackQuery(
          callbackQueryId,
          { ...(text ? { text: text.slice(0, 200) } : {}), ...(alert ? { show_alert: true } : {}) },
          untilStop,
        )
        .catch((err: unknown) => log.warn({ err: classify(err) }, 'could not answer a button press'));
    };
    // Telegram shows a spinner until the press is answered; never leave it spinning past ~1.5 s.
    const early = clock.setTimeout(() => void answer(), 1500);
    try {
      const result = await deliver(inbound);
      await answer(result?.text, result?.alert);
    } finally {
      clock.clearTimeout(early);
    }
  };

  function dispatch(raw: unknown): void {
    const decoded = decodeUpdate(raw, new Date(clock.now()), opts.botId);
    if (decoded.kind === 'migrated') host.chatMigrated(decoded.from, decoded.to);
    else if (decoded.kind === 'ignored')
      log.debug(
        { updateId: (raw as { update_id: number }).update_id, reason: decoded.reason },
        'update ignored',
      );
    else if (decoded.callbackQueryId) {
      const { inbound, callbackQueryId } = decoded;
      void answerPress(inbound, callbackQueryId).catch((err: unknown) =>
        log.error({ err }, 'button press failed'),
      );
    } else {
      const { inbound } = decoded;
      lanes.run(inbound.chat.chatId, async () => void (await deliver(inbound)));
    }
  }

  /** The first update id not yet handled. */
  const cursor = (): number => Number(host.loadCursor(cursorKey) ?? 0);

  return {
    cursor,
    /**
     * Every update once: the batch's last id is recorded before any of it is handled, so after a crash
     * it is skipped rather than run twice (a repeated /deploy or button press would be worse than a
     * lost one). One cursor write per batch, not per update: a burst of commands costs one SQLite write.
     */
    receive(raws: unknown[]): void {
      const from = cursor();
      const fresh = raws.filter((raw) => {
        const updateId = (raw as { update_id?: unknown } | null)?.update_id;
        return typeof updateId === 'number' && updateId >= from;
      });
      const last = fresh.at(-1) as { update_id: number } | undefined;
      if (last === undefined) return;
      host.saveCursor(cursorKey, String(last.update_id + 1));
      for (const raw of fresh) dispatch(raw);
    },
    /** Resolves when every command received so far has been handled. */
    idle: lanes.idle,
  };
}
export type UpdateReceiver = ReturnType<typeof createUpdateReceiver>;
