import { defaultProviderName } from '../providers/index.js';

/**
 * Which configured providers are built. `local` runs agents on fleetbot's own host, so once another
 * provider is configured it is off unless FLEETBOT_PROVIDERS lists it; when FLEETBOT_PROVIDERS is set,
 * exactly the providers it lists are on. Returns the settings with the others cleared, the default
 * provider (the first one on, unless FLEETBOT_PROVIDER names one), and one line per problem.
 */
export function enabledProviders(
  settings: Record<string, unknown>,
  opts: { listed: string[]; defaultProvider: string | undefined },
): { settings: Record<string, unknown>; provider: string; problems: string[] } {
  const configured = Object.keys(settings).filter((name) => settings[name] !== undefined);
  const problems: string[] = [];
  for (const name of opts.listed) {
    if (!(name in settings))
      problems.push(
        `FLEETBOT_PROVIDERS: no provider is called ${name}; the providers are ${Object.keys(settings).join(', ')}`,
      );
    else if (settings[name] === undefined)
      problems.push(
        `FLEETBOT_PROVIDERS lists ${name}, which is not configured; set its variables (see .env.example) or leave it out`,
      );
  }
  const on = opts.listed.length
    ? configured.filter((name) => opts.listed.includes(name))
    : configured.filter((name) => name !== defaultProviderName || configured.length === 1);
  if (
    opts.defaultProvider !== undefined &&
    !on.includes(opts.defaultProvider) &&
    settings[opts.defaultProvider] !== undefined
  )
    problems.push(
      `FLEETBOT_PROVIDER: ${opts.defaultProvider} is off (on: ${on.join(', ') || 'none'}); add it to FLEETBOT_PROVIDERS or pick one of those`,
    );
  return {
    settings: Object.fromEntries(
      Object.keys(settings).map((name) => [name, on.includes(name) ? settings[name] : undefined]),
    ),
    provider: opts.defaultProvider ?? on[0] ?? defaultProviderName,
    problems,
  };
}
