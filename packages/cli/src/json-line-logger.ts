import type { LogFields, Logger } from '@software-factory/sdk';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /token|secret|password|authorization|api[-_]?key|cookie/i;
const REDACTED = '[redacted]';

export interface JsonLineLoggerOptions {
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
  level?: LogLevel;
  /** Values that must never appear in a line (the config's resolved secrets); replaced wherever they occur. */
  secrets?: Iterable<string>;
  now?: () => Date;
}

/**
 * One JSON object per line: `{"time","level","msg",...fields}`. Fields whose names say they hold a
 * credential are dropped to `[redacted]`, and every known secret value is scrubbed from the finished
 * line, so a token that slipped into an error message still never reaches the log.
 */
export class JsonLineLogger implements Logger {
  readonly #write: (line: string) => void;
  readonly #threshold: number;
  readonly #secrets: string[];
  readonly #now: () => Date;

  constructor(options: JsonLineLoggerOptions = {}) {
    this.#write = options.write ?? ((line) => process.stdout.write(line));
    this.#threshold = LEVELS[options.level ?? 'info'];
    // Longest first, so a secret that contains another is scrubbed whole.
    this.#secrets = [...(options.secrets ?? [])]
      .filter((value) => value.length >= 4)
      .sort((a, b) => b.length - a.length);
    this.#now = options.now ?? (() => new Date());
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
    let line = JSON.stringify(
      { time: this.#now().toISOString(), level, msg: message, ...fields },
      redactFields,
    );
    for (const secret of this.#secrets) line = line.replaceAll(JSON.stringify(secret).slice(1, -1), REDACTED);
    this.#write(`${line}\n`);
  }
}

function redactFields(key: string, value: unknown): unknown {
  if (key && SECRET_FIELD.test(key) && value !== undefined && value !== null && typeof value !== 'object')
    return REDACTED;
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
