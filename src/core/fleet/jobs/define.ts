import type { z } from 'zod';
import type { JobRequest } from '../../jobs/service.js';
import type { Store } from '../../store/index.js';
import type { Agent } from '../../store/agents.js';
import type { Lookups } from '../lookups.js';
import type { AgentHealth } from '../provider.js';
import type { Role } from '../roles.js';

/**
 * What a job kind builds its job from besides its params: the store, providers and roles by name, and
 * the check that an agent without a daemon answers when spoken to.
 */
export type JobDeps = Lookups & { store: Store; probe: (agent: Agent, role: Role) => Promise<AgentHealth> };

/** A job as its kind builds it: the same on submit and when taken up again after a restart. */
export type BuiltJob = Pick<JobRequest, 'subject' | 'agent' | 'plan' | 'wording' | 'settle'>;

export type JobKind<S extends z.ZodType = z.ZodType> = {
  /** The name stored in jobs.kind. */
  readonly kind: string;
  /** What a job of this kind is asked to do; stored as JSON with the job. */
  readonly params: S;
  /**
   * Checks params (as submitted, or as read back from the store) against the schema and builds the
   * job from them; throws, saying why, when they do not fit or what they name is gone.
   */
  load(params: unknown, deps: JobDeps): BuiltJob;
};

/**
 * A kind of job: its name, the schema of its params, and how its plan, card wording and settle are
 * built from those params. `build` must only read: it also runs to take a job up after a restart and
 * to word an old job's card.
 */
export function defineJob<S extends z.ZodType>(def: {
  kind: string;
  params: S;
  build(params: z.output<S>, deps: JobDeps): BuiltJob;
}): JobKind<S> {
  return {
    kind: def.kind,
    params: def.params,
    load(params, deps) {
      const parsed = def.params.safeParse(params);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`);
        throw new Error(`its parameters do not fit a ${def.kind} job (${issues.join('; ')})`);
      }
      return def.build(parsed.data, deps);
    },
  };
}
