import type { Scheduler } from './scheduler.js';

export interface ActionResource {
  id: number;
  type: 'server' | 'image' | 'firewall';
}

export interface ActionRecord {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  startedAt: number;
  finishesAt: number;
  resources: ActionResource[];
}

/** Every action the fake has started; each runs for a fixed time and then succeeds. */
export class ActionLog {
  readonly #actions = new Map<number, ActionRecord>();
  #nextId = 1;

  constructor(private readonly scheduler: Scheduler) {}

  /** `onSuccess` applies the action's effect (a server now off, an image now available) when it finishes. */
  start(
    command: string,
    resources: ActionResource[],
    now: number,
    durationMs: number,
    onSuccess?: () => void,
  ): ActionRecord {
    const action: ActionRecord = {
      id: this.#nextId++,
      command,
      status: 'running',
      startedAt: now,
      finishesAt: now + durationMs,
      resources,
    };
    this.#actions.set(action.id, action);
    this.scheduler.at(action.finishesAt, () => {
      action.status = 'success';
      onSuccess?.();
    });
    return action;
  }

  get(id: number): ActionRecord | undefined {
    return this.#actions.get(id);
  }

  /** A resource with a running action is `locked`: the API refuses further actions on it with 423. */
  isLocked(type: ActionResource['type'], id: number): boolean {
    for (const action of this.#actions.values()) {
      if (action.status === 'running' && action.resources.some((r) => r.type === type && r.id === id)) {
        return true;
      }
    }
    return false;
  }
}
