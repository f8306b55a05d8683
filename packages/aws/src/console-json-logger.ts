import type { LogFields, Logger } from '@software-factory/sdk';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON line per entry on stdout/stderr, which Lambda ships to the function's log group as is.
 * It prints only the fields the core passes; the core never puts a token in them.
 */
export function createConsoleJsonLogger(options: { level?: Level } = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const write =
    (level: Level) =>
    (message: string, fields: LogFields = {}) => {
      if (ORDER[level] < threshold) return;
      const line = JSON.stringify({ level, message, ...fields });
      if (level === 'error' || level === 'warn') console.error(line);
      else console.log(line);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
