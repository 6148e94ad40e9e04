/** A seeded PRNG (mulberry32), so a failing fuzz run can be replayed with FAULTS_SEED. */
export type Rng = {
  readonly seed: number;
  next(): number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
};

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    chance: (p) => next() < p,
  };
}

/** The run's seed: FAULTS_SEED when replaying, otherwise fresh; printed so any failure can be replayed. */
export function fuzzRng(suite: string): Rng {
  const replay = process.env.FAULTS_SEED;
  const seed = replay ? Number(replay) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  console.log(`${suite}: FAULTS_SEED=${seed}`);
  return seededRng(seed);
}
