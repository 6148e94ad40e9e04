import { UserError } from '../../core/runtime/errors.js';
import { closest } from '../../core/router/didYouMean.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { HetznerClient } from './client.js';
import type { Location, ServerType } from './schemas.js';

const ttlMs = 6 * 60 * 60_000;

/** Server types and locations change rarely; they are read once and kept for a few hours. */
export function catalogue(client: HetznerClient, clock: Clock) {
  type Catalogue = { at: number; types: ServerType[]; locations: Location[] };
  let cached: Catalogue | undefined;
  // Fifty deploys sent at once share one read instead of making fifty.
  let loading: Promise<Catalogue> | undefined;
  const load = async (): Promise<Catalogue> => {
    if (cached && clock.now() - cached.at <= ttlMs) return cached;
    loading ??= Promise.all([client.serverTypes(), client.locations()])
      .then(([types, locations]) => (cached = { at: clock.now(), types, locations }))
      .finally(() => (loading = undefined));
    return loading;
  };

  const hint = (word: string, names: string[]): string => {
    const guess = closest(word, names);
    return guess ? ` Did you mean ${guess}?` : '';
  };

  return {
    /** Refuses a type or location Hetzner does not offer, or a type not sold where asked. */
    async check(serverType: string, location: string): Promise<void> {
      const { types, locations } = await load();
      const locationNames = locations.map((l) => l.name);
      if (!locationNames.includes(location)) {
        throw new UserError(
          `Hetzner has no location "${location}".${hint(location, locationNames)} Locations: ${locationNames.join(', ')}.`,
        );
      }
      const type = types.find((t) => t.name === serverType);
      if (!type) {
        const names = types.filter((t) => !t.deprecated).map((t) => t.name);
        throw new UserError(
          `Hetzner has no server type "${serverType}".${hint(serverType, names)} Types: ${names.join(', ')}.`,
        );
      }
      const soldAt = type.prices.map((p) => p.location);
      if (!soldAt.includes(location)) {
        throw new UserError(
          `Server type ${serverType} is not sold in ${location}. Use --location ${soldAt.join(' or ')}, or another --type.`,
        );
      }
    },

    /** The cheapest x86 type sold in the location: image builds need no more, and boot faster from a small disk. */
    async smallest(location: string): Promise<string> {
      const { types } = await load();
      const price = (t: ServerType): number =>
        Number(t.prices.find((p) => p.location === location)?.price_monthly.gross ?? Infinity);
      const sold = types.filter((t) => t.architecture === 'x86' && !t.deprecated && price(t) < Infinity);
      const best = sold.sort((a, b) => price(a) - price(b) || a.disk - b.disk)[0];
      if (!best)
        throw new UserError(`Hetzner sells no x86 server type in ${location}; pick another location.`);
      return best.name;
    },
  };
}
