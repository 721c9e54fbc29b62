// pino JSON logging with secrets redacted, and Temporal's Rust core logs forwarded into it.
import pino, { type Logger, type DestinationStream } from 'pino';

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
}

export function createLogger({
  level = process.env.LOG_LEVEL ?? 'info',
  destination,
}: LoggerOptions = {}): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'reflex' } },
    destination,
  );
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
export function temporalLogger(log: Logger) {
  const child = log.child({ component: 'temporal' });
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
