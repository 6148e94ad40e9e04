import { z } from 'zod';
import type { Bridge } from '../../core/chat/types.js';
import { defineBridgeModule } from '../module.js';
import { createConsoleBridge, type ConsoleBridge } from './index.js';

export type ConsoleSettings = { mode: 'auto' | 'on' | 'off' };

/** The console bridge among others, for the start to end with its input. */
export const isConsoleBridge = (bridge: Bridge): bridge is ConsoleBridge =>
  bridge.platform === 'console' && 'inputClosed' in bridge;

/** The terminal as a chat. */
export const consoleModule = defineBridgeModule({
  name: 'console',
  variables: {
    FLEETBOT_CONSOLE: {
      schema: z.enum(['auto', 'on', 'off']).default('auto'),
      example: 'auto',
      help: 'The terminal as a chat: auto (on when started from a terminal, or when no chat platform is configured), on, off.',
    },
  },
  settings: (v): ConsoleSettings => ({ mode: v.FLEETBOT_CONSOLE }),
  // On when asked, or (auto) when started from a terminal or when no chat platform is configured, so a
  // service with Telegram never reads stdin.
  create: ({ mode }, { stdin, stdout, alongside }) =>
    mode === 'on' || (mode === 'auto' && (stdin.isTTY === true || alongside.length === 0))
      ? createConsoleBridge({
          input: stdin,
          output: stdout,
          tty: stdout.isTTY === true,
          columns: () => stdout.columns ?? 80,
        })
      : undefined,
});
