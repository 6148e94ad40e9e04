import { invalidInput } from './errors.js';

/** `meta.pagination` exactly as the API sends it; null only where the spec allows. */
export interface Pagination {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

const DEFAULT_PER_PAGE = 25;

/** Over-large `per_page` values are capped rather than refused, as the API does. */
export function paginate<T>(items: readonly T[], query: URLSearchParams, perPageMax: number): Page<T> {
  const page = positiveInteger(query, 'page') ?? 1;
  const perPage = Math.min(positiveInteger(query, 'per_page') ?? DEFAULT_PER_PAGE, perPageMax);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    pagination: {
      page,
      per_page: perPage,
      previous_page: page > 1 ? Math.min(page - 1, lastPage) : null,
      next_page: page < lastPage ? page + 1 : null,
      last_page: lastPage,
      total_entries: items.length,
    },
  };
}

/** The `Link` header (rel prev/next/last) that accompanies the body's pagination metadata. */
export function linkHeader(fullPath: string, query: URLSearchParams, pagination: Pagination): string {
  const link = (page: number, rel: string): string => {
    const params = new URLSearchParams(query);
    params.set('page', String(page));
    return `<${fullPath}?${params.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pagination.previous_page !== null) links.push(link(pagination.previous_page, 'prev'));
  if (pagination.next_page !== null) links.push(link(pagination.next_page, 'next'));
  if (pagination.last_page !== null) links.push(link(pagination.last_page, 'last'));
  return links.join(', ');
}

function positiveInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1) throw invalidInput(name, `${name} must be a positive integer`);
  return value;
}
