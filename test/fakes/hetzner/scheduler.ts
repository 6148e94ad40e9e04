interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

/**
 * Future state changes (a server finishing its boot, an action succeeding), applied lazily: the fake runs
 * whatever is due before it answers or reports state. No timers means nothing outlives close() and the
 * outcome does not depend on event-loop scheduling.
 */
export class Scheduler {
  readonly #pending: Pending[] = [];
  #seq = 0;

  at(time: number, run: () => void): void {
    this.#pending.push({ at: time, seq: this.#seq++, run });
  }

  /** Runs due changes in time order (ties in scheduling order), including any a change schedules itself. */
  runDue(now: number): void {
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.#pending) {
        if (p.at <= now && (next === undefined || p.at < next.at || (p.at === next.at && p.seq < next.seq))) {
          next = p;
        }
      }
      if (next === undefined) return;
      this.#pending.splice(this.#pending.indexOf(next), 1);
      next.run();
    }
  }
}
