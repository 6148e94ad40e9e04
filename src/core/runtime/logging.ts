import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field names whose values never reach a log line, at any depth: `token`, `botToken`, `TELEGRAM_BOT_TOKEN`… */
const secretKey = /token|secret|password|passphrase|api_?key|authorization|private_?key|^env$/i;
const censor = '[redacted]';
/** Secrets shorter than this are too likely to match ordinary text to be replaced by value. */
const minSecretLength = 8;

/**
 * A copy of a log record with every secret-named field censored, however deep it is nested. Errors are
 * serialized first (as pino would), so fields an error carries are censored too.
 */
function redactKeys(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value instanceof Error) value = pino.stdSerializers.err(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactKeys(item, seen));
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    copy[key] = secretKey.test(key) ? censor : redactKeys(field, seen);
  return copy;
}

/**
 * Anything shaped like a fleetbot API key (`fbk_` and 43 base64url characters): fleetbot keeps no key,
 * so none is known by value, yet one a program sent where it does not belong must not be logged.
 */
const apiKeyShape = /fbk_[A-Za-z0-9_-]{43}/g;

/**
 * Replaces each known secret's value, and anything shaped like an API key, wherever it appears in a
 * finished JSON line (a message, a URL, an error).
 */
function redactValues(secrets: readonly string[]): (line: string) => string {
  const escaped = secrets
    .filter((s) => s.length >= minSecretLength)
    .map((s) => JSON.stringify(s).slice(1, -1))
    // Longer first, so a secret that contains another is censored whole.
    .sort((a, b) => b.length - a.length);
  return (line) =>
    escaped.reduce((out, secret) => out.replaceAll(secret, censor), line).replace(apiKeyShape, censor);
}

export function createLogger(opts: {
  level: string;
  pretty: boolean;
  destination?: DestinationStream | number | string;
  /** The values of fleetbot's own secrets (config), censored wherever they would appear. */
  secrets?: readonly string[];
}): Logger {
  const streamWrite = redactValues(opts.secrets ?? []);
  const options = {
    level: opts.level,
    formatters: { log: (record: Record<string, unknown>) => redactKeys(record) as Record<string, unknown> },
    hooks: { streamWrite },
  };
  if (opts.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { destination: opts.destination ?? 2, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' },
      },
    });
  }
  const destination = opts.destination ?? 2;
  return pino(
    options,
    typeof destination === 'object'
      ? destination
      : pino.destination({ dest: destination, sync: false, mkdir: true }),
  );
}
