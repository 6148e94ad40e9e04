export type Labels = Record<string, string>;
export type LabelPredicate = (labels: Readonly<Labels>) => boolean;

export class LabelSelectorError extends Error {
  override name = 'LabelSelectorError';
}

// Label grammar from the docs (wire-protocols.md §3.3): optional DNS-subdomain prefix and `/`, then a name of
// at most 63 characters; values likewise, possibly empty.
const NAME = '[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?';
const KEY = `(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?/)?${NAME}`;
const VALUE = `(?:${NAME})?`;

const ABSENT = new RegExp(`^!\\s*(${KEY})$`);
const PRESENT = new RegExp(`^(${KEY})$`);
const COMPARISON = new RegExp(`^(${KEY})\\s*(==|!=|=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const VALID_KEY = new RegExp(`^${KEY}$`);

/**
 * Compiles a selector such as `managed-by=fleetbot,env in (staging,prod),!legacy`. Negative terms (`!=`,
 * `notin`) also match resources without the key, as in Kubernetes, whose syntax Hetzner follows.
 */
export function parseLabelSelector(selector: string): LabelPredicate {
  if (selector.trim() === '') return () => true;
  const terms = splitTopLevel(selector).map((term) => compileTerm(term.trim()));
  return (labels) => terms.every((term) => term(labels));
}

/** Why a label key is unacceptable, or undefined when it is fine (values are checked by the OpenAPI schema). */
export function labelKeyProblem(key: string): string | undefined {
  if (!VALID_KEY.test(key)) return `label key '${key}' is not a valid key`;
  if (key.startsWith('hetzner.cloud/')) return `label key '${key}' uses the reserved prefix hetzner.cloud/`;
  return undefined;
}

function compileTerm(term: string): LabelPredicate {
  const absent = ABSENT.exec(term);
  if (absent?.[1] !== undefined) {
    const key = absent[1];
    return (labels) => !(key in labels);
  }
  const present = PRESENT.exec(term);
  if (present?.[1] !== undefined) {
    const key = present[1];
    return (labels) => key in labels;
  }
  const comparison = COMPARISON.exec(term);
  if (comparison?.[1] !== undefined) {
    const [, key, operator, value = ''] = comparison;
    return operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const set = SET.exec(term);
  if (set?.[1] !== undefined) {
    const [, key, operator, list = ''] = set;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return operator === 'in'
      ? (labels) => values.has(labels[key] ?? '') && key in labels
      : (labels) => !(key in labels) || !values.has(labels[key] ?? '');
  }
  throw new LabelSelectorError(`invalid label selector term '${term}'`);
}

/** Splits on commas outside parentheses, since `k in (a,b)` has commas of its own. */
function splitTopLevel(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}
