/** A `fetch` as every runtime (Node, Lambda, Workers) provides it. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RetryOptions {
  /** Attempts including the first; default 4. */
  maxAttempts?: number;
  /** First backoff step; doubles each attempt. Default 250 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff step. Default 5 s. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` we wait for. A server asking for more gets its answer back at once: a
   * webhook handler must answer within seconds, and the core retries the effect on the next delivery
   * or tick. Default 10 s.
   */
  maxRetryAfterMs?: number;
  /**
   * How long one attempt may take before it is abandoned as a failure (a connection that hangs).
   * Default: no bound of its own; the caller's signal (an effect's deadline) bounds the whole call.
   */
  attemptTimeoutMs?: number;
  /**
   * False for a request the server may have applied although no success came back: a create that
   * carries no idempotency key. Only a 429, a refusal before any work, is retried then; a network
   * failure, an abandoned attempt or a 5xx comes back at once, for the caller to find out whether it
   * landed before it tries again. Default true: the request is safe to repeat.
   */
  retryAmbiguous?: boolean;
  /** Injected so tests do not wait; defaults to a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic; defaults to Math.random. */
  random?: () => number;
  /**
   * Whether a response is worth retrying. Default: 429 and 5xx (429 alone when `retryAmbiguous` is
   * false). A caller may add its own signals (e.g. a GraphQL error that means "rate limited" in a 400);
   * to read the body it must read a clone, to the end, so the caller still gets the body.
   */
  isRetryable?: (response: Response) => boolean | Promise<boolean>;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Wraps `fetch` so that 429 (honouring `Retry-After`), 5xx and network failures are retried with
 * bounded exponential backoff and full jitter. The request must be replayable: bodies are strings or
 * `URLSearchParams`, never streams (a caller that signs each attempt anew builds its request inside
 * the `fetch` it wraps). The last answer comes back as it is, a retryable one included; the last
 * failure is thrown.
 */
export function retryingFetch(fetch: Fetch, options: RetryOptions = {}): Fetch {
  const maxAttempts = options.maxAttempts ?? 4;
  const maxRetryAfter = options.maxRetryAfterMs ?? 10_000;
  const sleep = options.sleep ?? defaultSleep;
  const ambiguousRetried = options.retryAmbiguous !== false;
  const isRetryable =
    options.isRetryable ??
    (ambiguousRetried
      ? (response: Response) => isTransientStatus(response.status)
      : (response: Response) => response.status === 429);
  const backoff = (attempt: number) => jitteredBackoff(attempt, options);

  // An aborted signal (the caller's deadline) ends the retries too: no attempt starts after it, and a
  // wait between attempts ends with it.
  return async (input, init) => {
    const signal = init?.signal ?? undefined;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const last = attempt >= maxAttempts;
      let response: Response;
      try {
        response = await fetch(input, withAttemptTimeout(init, signal, options.attemptTimeoutMs));
      } catch (error) {
        if (last || !ambiguousRetried || signal?.aborted) throw error;
        await waitUnlessAborted(sleep(backoff(attempt)), signal);
        continue;
      }
      if (last || !(await isRetryable(response))) return response;
      const asked = retryAfterMs(response.headers.get('retry-after'), Date.now());
      if (asked !== undefined && asked > maxRetryAfter) return response;
      // Not awaited: a body whose clone was read may not settle its cancel until the clone is gone.
      void response.body?.cancel().catch(() => {});
      await waitUnlessAborted(sleep(asked ?? backoff(attempt)), signal);
    }
  };
}

/**
 * The wait before retry number `attempt` (1-based): a random share (full jitter, so that clients
 * failing together do not retry together) of an exponential step, `baseDelayMs` doubled each time and
 * capped by `maxDelayMs`.
 */
export function jitteredBackoff(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'> = {},
): number {
  const step = Math.min(options.maxDelayMs ?? 5_000, (options.baseDelayMs ?? 250) * 2 ** (attempt - 1));
  return Math.floor((options.random ?? Math.random)() * step);
}

function withAttemptTimeout(
  init: RequestInit | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): RequestInit | undefined {
  if (timeoutMs === undefined) return init;
  const timeout = AbortSignal.timeout(timeoutMs);
  return { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
}

/** Waits for `wait`, or rejects with the signal's reason as soon as it is aborted. */
async function waitUnlessAborted(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return wait;
  signal.throwIfAborted();
  let stop: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    await Promise.race([wait, aborted]);
  } finally {
    if (stop) signal.removeEventListener('abort', stop);
  }
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
