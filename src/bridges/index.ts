import type { BridgeModule } from './module.js';
import { consoleModule } from './console/module.js';
import { slackModule } from './slack/module.js';
import { telegramModule } from './telegram/module.js';

/**
 * Every chat transport, in the order config, doctor and the start build them. The console comes
 * last: in auto mode it stays off when a chat platform runs as a service.
 */
export const bridgeModules = [telegramModule, slackModule, consoleModule] as const;

/** The same list, for code that treats every bridge alike. */
export const allBridges: readonly BridgeModule[] = bridgeModules;
