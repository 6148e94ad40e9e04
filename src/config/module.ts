import type { GeneralValues } from './index.js';
import type { Env, ValuesOf, Variables } from './variables.js';

/** What one `fleetbot doctor` line says; `fix` is shown when it failed. */
export type CheckResult = { ok: boolean; detail: string; fix?: string };

/** A doctor check of a module, run only when the module is configured. */
export type DoctorCheck<S> = { name: string; run(settings: S): Promise<CheckResult> };

/** The values a module's functions see: its own variables and the general ones. */
export type ModuleValues<V extends Variables> = ValuesOf<V> & GeneralValues;

/**
 * The configuration half of a provider or bridge: the variables it reads, the combinations it
 * refuses, and its settings. Methods (not function properties) so that a registry can hold modules
 * of different settings types in one list.
 */
export type ConfigModule<N extends string, V extends Variables, S> = {
  readonly name: N;
  readonly variables: V;
  /** Settings that only make sense together: one line per problem, naming the variable to change. */
  crossCheck?(values: ModuleValues<V>): string[];
  /** The module's settings, or undefined when it is not configured (and so not built). */
  settings(values: ModuleValues<V>, env: Env): S | undefined;
  readonly doctor?: readonly DoctorCheck<S>[];
};
