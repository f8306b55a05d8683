import type { Logger } from '@software-factory/sdk';
import { expect } from 'vitest';

/** Everything a flow prints or logs, as text, to check for leaks. */
export interface Capture {
  printed: string[];
  logged: string[];
  print(message: string): void;
  logger: Logger;
  /** Adds an error's message (and stack, which may quote it) to what is checked. */
  error(error: unknown): unknown;
  everything(): string[];
}

export function capture(): Capture {
  const printed: string[] = [];
  const logged: string[] = [];
  const errors: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    logged.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    printed,
    logged,
    print: (message) => printed.push(message),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    error: (error) => {
      errors.push(
        error instanceof Error
          ? `${error.message}\n${error.stack ?? ''}\n${String(error.cause ?? '')}`
          : String(error),
      );
      return error;
    },
    everything: () => [...printed, ...logged, ...errors],
  };
}

/** No secret appears, whole or URL-encoded, in any captured text. */
export function expectNoSecrets(texts: readonly string[], secrets: readonly string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    for (const text of texts) {
      expect(text, 'a secret leaked into printed or logged output').not.toContain(secret);
      expect(text, 'a secret leaked into printed or logged output').not.toContain(encodeURIComponent(secret));
    }
  }
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the promise to reject, but it resolved');
}
