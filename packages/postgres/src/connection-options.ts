import type { PoolConfig } from 'pg';

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
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

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

/** The pool's configuration: bounded size, a timeout on connecting, on every statement and on idling. */
export function poolConfig(options: PostgresConnectionOptions): PoolConfig {
  const poolSize = positiveWhole(options.poolSize ?? DEFAULT_POOL_SIZE, 'poolSize');
  const statementTimeout = positiveWhole(
    options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    'statementTimeoutMs',
  );
  connectionTarget(options.url);
  return {
    connectionString: withoutSslParameters(options.url, options.ssl !== undefined),
    max: poolSize,
    connectionTimeoutMillis: positiveWhole(
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      'connectTimeoutMs',
    ),
    idleTimeoutMillis: positiveWhole(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs'),
    // The server cancels a statement that runs too long; the client gives up a little later, so a
    // server that stopped answering does not hold a request (and a pool slot) for ever.
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2_000,
    keepAlive: true,
    application_name: 'software-factory',
    ...(options.ssl !== undefined ? { ssl: sslConfig(options.ssl, options.ca) } : {}),
  };
}

function sslConfig(mode: SslMode, ca: string | undefined): PoolConfig['ssl'] {
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  // Node's TLS checks the certificate's chain (against `ca`, else the system's roots) and its host name.
  return { rejectUnauthorized: true, ...(ca !== undefined ? { ca } : {}) };
}

/** The URL's own `sslmode`/`sslrootcert`… would override the `ssl` option in node-postgres: dropped. */
function withoutSslParameters(url: string, drop: boolean): string {
  if (!drop) return url;
  const parsed = new URL(url);
  for (const name of [...parsed.searchParams.keys()])
    if (name.startsWith('ssl')) parsed.searchParams.delete(name);
  return parsed.toString();
}

function positiveWhole(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`PostgresStateStore: ${name} must be a whole number of at least 1, got ${value}`);
  return value;
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
