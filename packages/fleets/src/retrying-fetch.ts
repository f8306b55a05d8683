import { isTransientStatus, retryingFetch } from '@software-factory/sdk';

/** How a fleet client retries a request that failed in a way worth retrying (429, 5xx, network, timeout). */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /**
   * The backoff step before the second attempt; doubles for each further one, capped by `maxDelayMs`.
   * Each wait is a random share of its step (full jitter), so that clients failing together do not
   * retry together.
   */
  baseDelayMs: number;
  /** The longest step, and the longest `Retry-After` waited for: a server asking for more fails the call. */
  maxDelayMs: number;
  /** Per-attempt timeout; an attempt that takes longer is aborted and counted as a retryable failure. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  timeoutMs: 15_000,
};

/** The policy with defaults filled in; throws naming the field when a value cannot work. */
export function resolveRetryPolicy(owner: string, input: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...input };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw new Error(`${owner}: retry.maxAttempts must be a whole number of at least 1`);
  for (const field of ['baseDelayMs', 'maxDelayMs'] as const)
    if (!Number.isFinite(policy[field]) || policy[field] < 0)
      throw new Error(`${owner}: retry.${field} must be zero or more milliseconds`);
  if (!Number.isFinite(policy.timeoutMs) || policy.timeoutMs <= 0)
    throw new Error(`${owner}: retry.timeoutMs must be more than zero milliseconds`);
  return policy;
}

/** An absolute http(s) URL without credentials or query, ending with a slash so routes resolve below it. */
export function parseServiceUrl(owner: string, field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${owner}: ${field} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`${owner}: ${field} must be an absolute http(s) URL`);
  if (url.username || url.password)
    throw new Error(`${owner}: put credentials in the secret, not the ${field}`);
  if (url.search) throw new Error(`${owner}: ${field} must not carry a query string`);
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

export type Sleep = (ms: number) => Promise<void>;

export interface HttpClientOptions {
  fetch?: typeof fetch;
  sleep?: Sleep;
  /** The jitter's source (a share of each backoff step); injected so tests are deterministic. */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
}

/** A fleet's own copy of its client options, with the retry policy checked now rather than at the first request. */
export function resolveHttpClient(owner: string, options: HttpClientOptions): HttpClientOptions {
  return {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    retry: resolveRetryPolicy(owner, options.retry),
  };
}

/** A request that failed for good. Its message names the method, the URL path and the status, never a secret. */
export class FleetRequestError extends Error {
  readonly status: number | undefined;
  /** True when the request may have been applied by the server although no success came back. */
  readonly ambiguous: boolean;

  constructor(message: string, status: number | undefined, ambiguous: boolean) {
    super(message);
    this.name = 'FleetRequestError';
    this.status = status;
    this.ambiguous = ambiguous;
  }
}

/**
 * One HTTP exchange with bounded retries (the SDK's `retryingFetch`: exponential backoff with jitter,
 * `Retry-After` honoured up to `maxDelayMs`, each attempt abandoned after `timeoutMs`). `build` is called
 * for every attempt so that signatures and timestamps are fresh. Returns the first response that is not
 * retryable (2xx, 3xx or a 4xx other than 429); throws FleetRequestError when attempts run out, or at
 * once when a server asks to wait longer than `maxDelayMs`.
 */
export async function fetchWithRetry(
  build: () => Promise<Request> | Request,
  options: HttpClientOptions = {},
  /**
   * False for a request that is not idempotent on the server: a failure after which the server may
   * have applied it (5xx, network error, timeout) is thrown at once for the caller to reconcile.
   */
  retryAmbiguous = true,
  /** Aborted (the effect's deadline): no attempt starts after it, and one in flight is abandoned. */
  signal?: AbortSignal,
): Promise<Response> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  let attempts = 0;
  let label = 'request';
  const attempt = async (_input: unknown, init?: RequestInit) => {
    attempts++;
    const request = await build();
    label = `${request.method} ${new URL(request.url).pathname}`;
    return doFetch(request, init);
  };
  const retrying = retryingFetch(attempt, {
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    maxAttempts: policy.maxAttempts,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    maxRetryAfterMs: policy.maxDelayMs,
    attemptTimeoutMs: policy.timeoutMs,
    retryAmbiguous,
  });
  const gaveUp = () => (attempts >= policy.maxAttempts ? ` (gave up after ${attempts} attempts)` : '');
  let response: Response;
  try {
    response = await retrying(label, signal ? { signal } : {});
  } catch (error) {
    signal?.throwIfAborted();
    throw new FleetRequestError(`${label} failed: ${describe(error)}${gaveUp()}`, undefined, true);
  }
  if (!isTransientStatus(response.status)) return response;
  await response.body?.cancel();
  // 429 is a refusal before any work; a 5xx may come after the server applied the request.
  throw new FleetRequestError(
    `${label} answered ${response.status}${gaveUp()}`,
    response.status,
    response.status !== 429,
  );
}

function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timed out';
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
