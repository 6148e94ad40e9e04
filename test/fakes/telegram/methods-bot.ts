import type { BotCommand } from 'grammy/types';
import type { CallContext, FakeState, Handler } from './context.js';
import { ApiError, QUERY_TOO_OLD, badRequest } from './errors.js';

/** Methods about the bot itself: identity, receiving updates, command menus, callback answers. */
export function botHandlers(state: FakeState): Record<string, Handler> {
  return {
    getMe: () => state.me,
    getUpdates: ({ params, signal }) =>
      state.updates.getUpdates(
        {
          offset: params.offset as number | undefined,
          limit: params.limit as number | undefined,
          timeout: params.timeout as number | undefined,
          allowedUpdates: params.allowed_updates as string[] | undefined,
        },
        signal,
      ),
    setWebhook: ({ params }) => setWebhook(state, params),
    deleteWebhook: ({ params }) => {
      state.updates.deleteWebhook(params.drop_pending_updates === true);
      return true;
    },
    getWebhookInfo: () => state.updates.webhookInfo(),
    setMyCommands: ({ params }) => setMyCommands(state, params),
    getMyCommands: ({ params }) => state.commands.get(params.scope, params.language_code),
    deleteMyCommands: ({ params }) => {
      state.commands.delete(params.scope, params.language_code);
      return true;
    },
    answerCallbackQuery: (ctx) => answerCallbackQuery(state, ctx),
  };
}

function setWebhook(state: FakeState, params: Record<string, unknown>): true {
  const url = typeof params.url === 'string' ? params.url : '';
  if (url !== '' && !url.startsWith('https://')) {
    throw badRequest(
      'url',
      'webhook URL must be HTTPS',
      'bad webhook: An HTTPS URL must be provided for webhook',
    );
  }
  const secret = params.secret_token;
  if (typeof secret === 'string' && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
    throw badRequest(
      'secret_token',
      'secret_token must be 1-256 characters from A-Z, a-z, 0-9, _ and -',
      'secret token contains unallowed characters',
    );
  }
  state.updates.setWebhook(
    {
      url,
      maxConnections: params.max_connections as number | undefined,
      allowedUpdates: params.allowed_updates as string[] | undefined,
    },
    params.drop_pending_updates === true,
  );
  return true;
}

function setMyCommands(state: FakeState, params: Record<string, unknown>): true {
  const commands = params.commands as BotCommand[];
  if (commands.length > 100) {
    throw badRequest(
      'commands',
      `${commands.length} commands; at most 100 per scope`,
      'BOT_COMMANDS_TOO_MUCH',
    );
  }
  commands.forEach((c, i) => {
    if (!/^[a-z0-9_]{1,32}$/.test(c.command)) {
      throw badRequest(
        `commands[${i}].command`,
        `command ${JSON.stringify(c.command)} must be 1-32 chars of lowercase a-z, 0-9 and _`,
        'BOT_COMMAND_INVALID',
      );
    }
    if (c.description.trim().length < 1 || c.description.length > 256) {
      throw badRequest(
        `commands[${i}].description`,
        `description must be 1-256 characters, got ${c.description.length}`,
        'BOT_COMMAND_DESCRIPTION_INVALID',
      );
    }
  });
  state.commands.set(
    params.scope,
    params.language_code,
    commands.map(({ command, description }) => ({ command, description })),
  );
  return true;
}

function answerCallbackQuery(state: FakeState, { params, now }: CallContext): true {
  const id = String(params.callback_query_id);
  const text = typeof params.text === 'string' ? params.text : undefined;
  if (text !== undefined && text.length > 200) {
    throw badRequest(
      'text',
      `answer text is ${text.length} characters; the limit is 200`,
      'MESSAGE_TOO_LONG',
    );
  }
  const verdict = state.callbackQueries.answer(id, now);
  if (verdict === 'unknown' || verdict === 'answered') {
    const problem =
      verdict === 'unknown' ? 'no callback query with this id was sent' : 'callback query answered twice';
    throw new ApiError(400, QUERY_TOO_OLD, { violation: { field: 'callback_query_id', problem } });
  }
  // Answering late is a timing condition, not a malformed request, so it is not a violation.
  if (verdict === 'expired') throw new ApiError(400, QUERY_TOO_OLD);

  const answer: FakeState['callbackAnswers'][number] = { callbackQueryId: id, at: now };
  if (text !== undefined) answer.text = text;
  if (typeof params.show_alert === 'boolean') answer.showAlert = params.show_alert;
  state.callbackAnswers.push(answer);
  return true;
}
