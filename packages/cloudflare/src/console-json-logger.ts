import type { LogFields, Logger } from '@software-factory/sdk';

/**
 * One JSON object per line on the console, which Workers Logs indexes by field. The core never puts a
 * token in its log fields; this logger adds nothing but the level, the message and the time.
 */
export function consoleJsonLogger(base: LogFields = {}): Logger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: LogFields = {}) => {
    const line = JSON.stringify({ level, message, ...base, ...fields, at: new Date().toISOString() });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
