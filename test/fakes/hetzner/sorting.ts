import { invalidInput } from './errors.js';

export type SortKeys<T> = Record<string, (item: T) => string | number>;

/**
 * Applies repeated `sort=field[:asc|:desc]` parameters, earlier ones taking precedence. Without any, items
 * keep their id order, which is the API's default.
 */
export function sortItems<T>(items: readonly T[], query: URLSearchParams, keys: SortKeys<T>): T[] {
  const comparators = query.getAll('sort').map((spec) => {
    const [field = '', direction = 'asc'] = spec.split(':');
    const key = keys[field];
    if (key === undefined || (direction !== 'asc' && direction !== 'desc')) {
      throw invalidInput('sort', `cannot sort by '${spec}'`);
    }
    const sign = direction === 'asc' ? 1 : -1;
    return (a: T, b: T): number => {
      const x = key(a);
      const y = key(b);
      return x < y ? -sign : x > y ? sign : 0;
    };
  });
  return [...items].sort((a, b) => {
    for (const compare of comparators) {
      const order = compare(a, b);
      if (order !== 0) return order;
    }
    return 0;
  });
}
