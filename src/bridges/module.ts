import type { Readable, Writable } from 'node:stream';
import type { ConfigModule } from '../config/module.js';
import type { Variables } from '../config/variables.js';
import type { Bridge } from '../core/chat/types.js';
import type { Level } from '../core/access/levels.js';
import type { Clock } from '../core/runtime/clock.js';
import type { HttpServer } from '../core/runtime/httpServer.js';
import type { Logger } from '../core/runtime/logging.js';
import type { Metrics } from '../core/runtime/metrics.js';

/** What every bridge may use, built once by main. */
export type BridgeShared = {
  /** Already tagged with the bridge's name. */
  log: Logger;
  clock: Clock;
  /** The command menu chat platforms show. */
  menu: { command: string; description: string }[];
  /** The commands a person of one level may run, for a platform with a menu per level. */
  menuFor: (level: Level) => { command: string; description: string }[];
  /** Called when a bridge cannot go on; the process should exit. */
  onFatal: (err: Error) => void;
  metrics?: Metrics;
  /** The shared HTTP server, when FLEETBOT_HTTP_PORT is set (webhook receivers, Slack HTTP mode). */
  http?: HttpServer;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  /** The bridges built before this one, in registry order. */
  alongside: readonly Bridge[];
};

/** One chat transport: its settings, doctor checks and factory. */
export type BridgeModule<
  N extends string = string,
  V extends Variables = Variables,
  S = unknown,
> = ConfigModule<N, V, S> & {
  /** The bridge, or undefined when it decides to stay off (the console behind a chat platform). */
  create(settings: S, shared: BridgeShared): Bridge | undefined;
};

/** Keeps a module's variables, settings and factory types tied together. */
export const defineBridgeModule = <const N extends string, V extends Variables, S>(
  module: BridgeModule<N, V, S>,
): BridgeModule<N, V, S> => module;
