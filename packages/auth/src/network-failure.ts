import type { Fetch } from './vendor-token-responses.ts';

/** What the system error codes of a failed connection mean, in the words a person would use. */
const CONNECTION_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the name could not be resolved',
  EAI_NODATA: 'the name could not be resolved',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another name',
};

/**
 * A request that never got an answer: the host could not be resolved, refused the connection, timed
 * out... The message names the host (never the path or query, which may carry a code or a token).
 */
export class UnreachableHostError extends Error {
  readonly host: string;
  readonly code: string;

  constructor(host: string, code: string) {
    super(`cannot reach ${host} (${code}: ${CONNECTION_FAILURES[code] ?? 'no connection'})`);
    this.name = 'UnreachableHostError';
    this.host = host;
    this.code = code;
  }
}

/**
 * The failure as an UnreachableHostError when `error` is a network failure (fetch's `TypeError: fetch
 * failed` with a system error somewhere in its causes); undefined for anything else, an HTTP answer or
 * an abort included. The host is `url`'s, or else the one the system error names.
 */
export function unreachableHost(error: unknown, url?: string | URL): UnreachableHostError | undefined {
  if (error instanceof UnreachableHostError) return error;
  const found = systemError(error, 0);
  if (!found) return undefined;
  const host = hostOf(url) ?? found.host;
  return host ? new UnreachableHostError(host, found.code) : undefined;
}

/** `fetchImpl`, except that a request that gets no answer rejects with an UnreachableHostError. */
export function namingUnreachableHosts(fetchImpl: Fetch): Fetch {
  return async (input, init) => {
    try {
      return await fetchImpl(input, init);
    } catch (error) {
      throw unreachableHost(error, input instanceof Request ? input.url : input) ?? error;
    }
  };
}

function hostOf(url: string | URL | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

interface SystemError {
  code: string;
  host?: string;
}

/** The first system error among `error`, its causes and (for an AggregateError) its errors. */
function systemError(error: unknown, depth: number): SystemError | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const fields = error as {
    name?: unknown;
    code?: unknown;
    hostname?: unknown;
    address?: unknown;
    port?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (fields.name === 'AbortError' || fields.name === 'TimeoutError') return undefined;
  const nested = [fields.cause, ...(Array.isArray(fields.errors) ? fields.errors : [])]
    .map((inner) => systemError(inner, depth + 1))
    .filter((found) => found !== undefined);
  if (typeof fields.code === 'string' && fields.code in CONNECTION_FAILURES) {
    const host =
      typeof fields.hostname === 'string'
        ? fields.hostname
        : typeof fields.address === 'string'
          ? `${fields.address}${typeof fields.port === 'number' ? `:${fields.port}` : ''}`
          : // An AggregateError has the code; the attempts it gathers have the addresses.
            nested.find((found) => found.host)?.host;
    return { code: fields.code, ...(host ? { host } : {}) };
  }
  return nested.find((found) => found.host) ?? nested[0];
}

/** "5 min", "90 s": how long a wait is, for the person waiting. */
export function formatWait(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}
