/** One line of the results table: a measured figure against its target. */
export type Row = {
  id: string;
  what: string;
  measured: number;
  unit: string;
  /** The figure must be at most this. */
  target: number;
  /** How the figure came about (runs, spread), shown in results.json. */
  detail?: Record<string, unknown>;
};

export type BenchOptions = {
  /** A smoke run: small counts, fewer repeats. */
  quick: boolean;
};

export type Benchmark = (opts: BenchOptions) => Promise<Row[]>;

export const met = (row: Row): boolean => row.measured <= row.target;

/** Marks the line of a benchmark process's stdout that carries its rows, whatever else a library prints. */
export const RESULT_PREFIX = 'BENCH-RESULT ';
