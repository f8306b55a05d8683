/**
 * How the connection is encrypted. `disable`: plain TCP (a loopback or a private network); `require`:
 * TLS, the server's certificate not checked (protects against reading, not against a machine in the
 * middle); `verify-full`: TLS, the certificate checked against `ca` (or the system's roots) and the
 * host name. Set here, it overrides any `sslmode` in the URL.
 */
export type SslMode = 'disable' | 'require' | 'verify-full';

export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database`; it holds the password, so it is never logged. */
  url: string;
  ssl?: SslMode;
  /** PEM certificates that sign the server's certificate, for `verify-full`. */
  ca?: string;
  /** The most connections this process opens (default 10). */
  poolSize?: number;
  /** How long opening a connection may take before the operation fails (default 5 s). */
  connectTimeoutMs?: number;
  /** How long one statement may run on the server before it is cancelled (default 10 s). */
  statementTimeoutMs?: number;
  /** An idle connection is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** The URL's parts that are safe to show: where it connects, never who with which password. */
export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
}

/** Reads the URL; an error names what is wrong with it, never the URL itself (it may hold a password). */
export function connectionTarget(url: string): ConnectionTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the database URL is not a URL: expected postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new Error(
      `the database URL starts with ${parsed.protocol}//, expected postgres:// (postgres://user:password@host:port/database)`,
    );
  if (parsed.hostname === '') throw new Error('the database URL names no host');
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  const database =
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, database };
}

/** `host:port/database`, for messages. */
export function describeTarget(target: ConnectionTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}/${target.database}`;
}

/**
 * Removes the URL and its password from `text`: node-postgres's own errors name the host and the user
 * at most, but a message passed on from elsewhere must not carry either.
 */
export function redactConnection(text: string, url: string): string {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') secrets.push(parsed.password, decodeURIComponent(parsed.password));
  } catch {}
  let redacted = text;
  for (const secret of secrets.filter((value) => value.length > 0).sort((a, b) => b.length - a.length))
    redacted = redacted.split(secret).join('[redacted]');
  return redacted;
}
