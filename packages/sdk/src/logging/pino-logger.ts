import type { LogFields, Logger } from '../ports/logger.ts';
import { type TraceContext, withTrace } from './log-fields.ts';
import { Redactor } from './redaction.ts';

/** The part of a pino logger the adapter calls (`logger.info(fields, message)`); pino itself is not imported. */
export interface PinoLike {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface PinoLoggerOptions {
  /** Values that must never appear in a line (the config's resolved secrets). */
  secrets?: Iterable<string>;
  traceContext?: TraceContext;
}

/**
 * The factory's `Logger` over a pino logger a Node application already ships: pino keeps its own
 * transport, time and level fields; the factory's fields (the names of `LOG_FIELD`) are redacted the
 * same way `JsonLineLogger` redacts them before pino sees them.
 */
export function loggerFromPino(
  pino: PinoLike,
  options: PinoLoggerOptions = {},
): Logger & {
  addSecrets(values: Iterable<string>): void;
} {
  const redactor = new Redactor(options.secrets);
  const log =
    (level: keyof PinoLike) =>
    (message: string, fields: LogFields = {}) => {
      pino[level](redactor.fields(withTrace(fields, options.traceContext)), redactor.text(message));
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    addSecrets: (values) => redactor.addSecrets(values),
  };
}
