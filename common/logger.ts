// pino logging with secrets redacted, and Temporal's Rust core logs forwarded into it. On a terminal
// the lines are for people (pino-pretty: time, level, message, the fields after it); anywhere else
// (a file, journald, a log shipper) they are JSON, one object a line. LOG_FORMAT=json|pretty decides.
import pino, { type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line. Secrets also never go into error messages,
 * but redaction is the net under that rule.
 */
export const REDACT_PATHS = [
  'secret',
  'secrets',
  '*.secret',
  '*.secrets',
  '*.clientSecret',
  '*.*.clientSecret',
  '*.apiKey',
  '*.*.apiKey',
  '*.password',
  '*.token',
  '*.secretText',
  '*.*.secret',
  '*.smtpUrl',
  '*.*.smtpUrl',
  'config.database.url',
  'req.headers.authorization',
  'req.headers["webhook-signature"]',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout when absent. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
  /** @default pretty on a terminal (stdout, or the destination), else json; LOG_FORMAT overrides */
  format?: 'json' | 'pretty';
}

/** Lines for people: `12:04:31 INFO  Reflex is running (start)  key=value …`, colours on a terminal. */
function forPeople(destination: DestinationStream | undefined) {
  const out = (destination ?? process.stdout) as DestinationStream & { isTTY?: boolean };
  return pretty({
    destination: out,
    colorize: Boolean(out.isTTY),
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service',
    singleLine: true,
    sync: true,
  });
}

/** What LOG_FORMAT says, else pretty on a terminal and JSON anywhere else. */
function defaultFormat(destination: DestinationStream | undefined): 'json' | 'pretty' {
  const chosen = process.env.LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return ((destination ?? process.stdout) as { isTTY?: boolean }).isTTY ? 'pretty' : 'json';
}

export function createLogger({
  level = process.env.LOG_LEVEL ?? 'info',
  destination,
  format = defaultFormat(destination),
}: LoggerOptions = {}): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'reflex' },
  };
  return format === 'pretty' ? pino(options, forPeople(destination)) : pino(options, destination);
}

type TemporalLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LEVELS: Record<TemporalLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts pino to the `Logger` interface Temporal's Runtime and Worker log through. */
export function temporalLogger(log: Logger, component = 'temporal') {
  const child = log.child({ component });
  const emit = (level: TemporalLevel, message: string, meta?: Record<string, unknown>) =>
    child[LEVELS[level]](meta ?? {}, message);
  return {
    log: emit,
    trace: (message: string, meta?: Record<string, unknown>) => emit('TRACE', message, meta),
    debug: (message: string, meta?: Record<string, unknown>) => emit('DEBUG', message, meta),
    info: (message: string, meta?: Record<string, unknown>) => emit('INFO', message, meta),
    warn: (message: string, meta?: Record<string, unknown>) => emit('WARN', message, meta),
    error: (message: string, meta?: Record<string, unknown>) => emit('ERROR', message, meta),
  };
}
