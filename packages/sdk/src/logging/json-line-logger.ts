import type { LogFields, Logger } from '../ports/logger.ts';
import { LOG_FIELD, type TraceContext, withTrace } from './log-fields.ts';
import { Redactor } from './redaction.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLineLoggerOptions {
  /**
   * Where a finished line goes, without its newline: Node appends one and writes stdout; Lambda and
   * Workers hand it to the console (`consoleLine`), which ships it to their log service as is.
   */
  write: (line: string, level: LogLevel) => void;
  level?: LogLevel;
  /** Values that must never appear in a line (the config's resolved secrets); replaced wherever they occur. */
  secrets?: Iterable<string>;
  /** Fields on every line, e.g. `{ component: 'factory-worker' }`; a line's own fields win. */
  fields?: LogFields;
  /** The active span's ids, merged into every line (see `TraceContext`). */
  traceContext?: TraceContext;
  now?: () => Date;
}

/**
 * The factory's one logger, on every runtime: one JSON object per line, `{"time","level","msg",...}`
 * (the names of `LOG_FIELD`). Fields whose names say they hold a credential are written as
 * `[redacted]`, and every known secret value is scrubbed from the finished line, so a token that slipped
 * into an error message still never reaches the log.
 */
export class JsonLineLogger implements Logger {
  readonly #write: (line: string, level: LogLevel) => void;
  readonly #threshold: number;
  readonly #redactor: Redactor;
  readonly #fields: LogFields;
  readonly #traceContext: TraceContext | undefined;
  readonly #now: () => Date;

  constructor(options: JsonLineLoggerOptions) {
    this.#write = options.write;
    this.#threshold = LEVELS[options.level ?? 'info'];
    this.#redactor = new Redactor(options.secrets);
    this.#fields = options.fields ?? {};
    this.#traceContext = options.traceContext;
    this.#now = options.now ?? (() => new Date());
  }

  /** Secret values learnt after the logger was made (a Lambda resolves its secrets on first use). */
  addSecrets(values: Iterable<string>): void {
    this.#redactor.addSecrets(values);
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  #log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVELS[level] < this.#threshold) return;
    const entry = this.#redactor.fields({
      ...this.#fields,
      ...withTrace(fields, this.#traceContext),
    });
    const line = JSON.stringify({
      [LOG_FIELD.time]: this.#now().toISOString(),
      [LOG_FIELD.level]: level,
      [LOG_FIELD.message]: this.#redactor.text(message),
      ...entry,
    });
    this.#write(this.#redactor.text(line, true), level);
  }
}

/** Writes a line to the console, errors and warnings to its error stream (Lambda, Workers, browsers). */
export function consoleLine(line: string, level: LogLevel): void {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

/** The logger of a runtime whose logs are its console's output (Lambda's CloudWatch, Workers Logs). */
export function consoleJsonLogger(options: Omit<JsonLineLoggerOptions, 'write'> = {}): JsonLineLogger {
  return new JsonLineLogger({ ...options, write: consoleLine });
}
