export {
  consoleJsonLogger,
  consoleLine,
  JsonLineLogger,
  type JsonLineLoggerOptions,
  type LogLevel,
} from './json-line-logger.ts';
export { LOG_FIELD, type TraceContext } from './log-fields.ts';
export { loggerFromPino, type PinoLike, type PinoLoggerOptions } from './pino-logger.ts';
export { REDACTED, Redactor, SECRET_FIELD } from './redaction.ts';
