import type { RetryOptions } from '@software-factory/sdk';
import { NotAuthorisedError } from './provider-errors.ts';

/**
 * A write the vendor would make twice (it takes no idempotency key), made once per key: `find` looks
 * for an attempt that landed already, by the marker every attempt carries (what it found, or false);
 * `write` makes it, through a
 * transport that does not repeat it after a failure that may have landed it (a 5xx, a lost answer); and
 * such a failure is looked for before it is given up, leaving the write to the effect's next attempt
 * when it is not there. A refused token landed nothing.
 */
export async function writeOnce<T>(
  find: () => Promise<T | false | undefined>,
  write: () => Promise<T>,
): Promise<T> {
  const earlier = await find();
  if (earlier) return earlier;
  try {
    return await write();
  } catch (error) {
    const landed = error instanceof NotAuthorisedError ? undefined : await find().catch(() => undefined);
    if (!landed) throw error;
    return landed;
  }
}

/**
 * The retries of the transport `writeOnce` writes through: after a 429 alone, which refused the write
 * before any work; never after a 5xx, a lost answer or an abandoned attempt, any of which may have
 * landed it.
 */
export function withoutReplays(retry: RetryOptions | undefined): RetryOptions {
  return { ...retry, retryAmbiguous: false, isRetryable: (response) => response.status === 429 };
}
