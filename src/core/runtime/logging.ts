import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field names whose values never reach a log line, at any depth the redactor supports. */
const secretKeys = [
  'token',
  'secret',
  'password',
  'passphrase',
  'apiKey',
  'api_key',
  'authorization',
  'privateKey',
  'env',
];
const redactPaths = secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(opts: {
  level: string;
  pretty: boolean;
  destination?: DestinationStream | number | string;
}): Logger {
  const redact = { paths: redactPaths, censor: '[redacted]' };
  if (opts.pretty) {
    return pino({
      level: opts.level,
      redact,
      transport: {
        target: 'pino-pretty',
        options: { destination: opts.destination ?? 2, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' },
      },
    });
  }
  const destination = opts.destination ?? 2;
  return pino(
    { level: opts.level, redact },
    typeof destination === 'object'
      ? destination
      : pino.destination({ dest: destination, sync: false, mkdir: true }),
  );
}
