import { JsonLineLogger, type LogLevel } from '@software-factory/sdk';

/** The core's logger writing one line per entry to this process's stdout (or stderr, to keep stdout for an answer). */
export function processLogger(options: {
  level: LogLevel;
  secrets: Iterable<string>;
  stream?: 'stdout' | 'stderr';
}): JsonLineLogger {
  const stream = options.stream === 'stderr' ? process.stderr : process.stdout;
  return new JsonLineLogger({
    level: options.level,
    secrets: options.secrets,
    write: (line) => stream.write(`${line}\n`),
  });
}
