export interface RouteMatch<H> {
  handler: H;
  /** The template the request matched, e.g. `/servers/{id}`; fakes use it to find the operation in a spec. */
  template: string;
  /** A path parameter by name; a name the template lacks is a bug in the fake, so it throws. */
  param(name: string): string;
}

interface Route<H> {
  method: string;
  template: string;
  segments: string[];
  literalCount: number;
  handler: H;
}

/** Method + path-template routing for the fakes, with `{name}` placeholders for whole path segments. */
export class Router<H> {
  readonly #routes: Route<H>[] = [];

  add(method: string, template: string, handler: H): this {
    const segments = template.split('/');
    const literalCount = segments.filter((s) => !isPlaceholder(s)).length;
    this.#routes.push({ method, template, segments, literalCount, handler });
    return this;
  }

  /** Every registered method and template, so a fake can check them against its API's spec. */
  list(): Array<{ method: string; template: string }> {
    return this.#routes.map(({ method, template }) => ({ method, template }));
  }

  /**
   * The most specific route for the request. `'method-not-allowed'` means the path exists under other methods
   * only, which the real APIs answer differently from an unknown path.
   */
  match(method: string, path: string): RouteMatch<H> | 'method-not-allowed' | undefined {
    const segments = path.split('/');
    const onPath = this.#routes.filter((route) => fits(route.segments, segments));
    const candidates = onPath.filter((route) => route.method === method);
    // A literal segment beats a placeholder: `/servers/{id}/actions/poweroff` over `.../actions/{action_id}`.
    const best = candidates.sort((a, b) => b.literalCount - a.literalCount)[0];
    if (best === undefined) return onPath.length > 0 ? 'method-not-allowed' : undefined;
    const params = new Map<string, string>();
    best.segments.forEach((s, i) => {
      if (isPlaceholder(s)) params.set(s.slice(1, -1), decodeSegment(segments[i] ?? ''));
    });
    return {
      handler: best.handler,
      template: best.template,
      param(name) {
        const value = params.get(name);
        if (value === undefined) throw new Error(`route ${best.template} has no parameter ${name}`);
        return value;
      },
    };
  }
}

function isPlaceholder(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

function fits(template: string[], path: string[]): boolean {
  return (
    template.length === path.length &&
    template.every((s, i) => (isPlaceholder(s) ? path[i] !== '' : s === path[i]))
  );
}

// A malformed escape is the client's problem to discover through a 404, not a crash inside the fake.
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
