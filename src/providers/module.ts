import type { z } from 'zod';
import type { SshLoginSettings } from '../config/index.js';
import type { ConfigModule } from '../config/module.js';
import type { Variables } from '../config/variables.js';
import type { Provider } from '../core/fleet/provider.js';
import type { Clock } from '../core/runtime/clock.js';
import type { Logger } from '../core/runtime/logging.js';
import type { Metrics } from '../core/runtime/metrics.js';
import type { SshPool } from './ssh/pool.js';

/** What every provider may use, built once by main. */
export type ProviderShared = {
  clock: Clock;
  /** Already tagged with the provider's name. */
  log: Logger;
  metrics: Metrics;
  /** The SSH connections kept open between steps and checks, shared by every provider that uses SSH. */
  sshPool: SshPool;
  /** How fleetbot logs in to machines. */
  login: SshLoginSettings;
  dataDir: string;
  /** This fleetbot's instance id, on every label and record comment; it only manages what carries it. */
  instance: string;
};

/** A `/deploy` flag a provider takes: `--type cx33` becomes options.type, checked by `schema`. */
export type DeployFlag = { schema: z.ZodType<string>; placeholder: string };

/** One place a provider lives: its settings, role section, /deploy flags, doctor checks and factory. */
export type ProviderModule<
  N extends string = string,
  V extends Variables = Variables,
  S = unknown,
> = ConfigModule<N, V, S> & {
  /** The provider's section of a role file (`providers.<name>`), when it has one. */
  readonly roleSettings?: z.ZodType;
  readonly deployFlags: Readonly<Record<string, DeployFlag>>;
  /** New machines authorise fleetbot's login key, so doctor checks that key even when none is set. */
  readonly needsLoginKey?: boolean;
  create(settings: S, shared: ProviderShared): Provider;
};

/** Keeps a module's variables, settings and factory types tied together. */
export const defineProviderModule = <const N extends string, V extends Variables, S>(
  module: ProviderModule<N, V, S>,
): ProviderModule<N, V, S> => module;
