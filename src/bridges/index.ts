import type { BridgeModule } from './module.js';
import { apiModule } from './api/module.js';
import { consoleModule } from './console/module.js';
import { slackModule } from './slack/module.js';
import { telegramModule } from './telegram/module.js';

/**
 * Every chat transport, in the order config, doctor and the start build them. The console comes
 * after the chat platforms: in auto mode it stays off when one runs as a service. The HTTP API comes
 * after it, as it is no chat a person could use instead of the console.
 */
export const bridgeModules = [telegramModule, slackModule, consoleModule, apiModule] as const;

/** The same list, for code that treats every bridge alike. */
export const allBridges: readonly BridgeModule[] = bridgeModules;
