// node-postgres's own types stay here, out of every module the package's entry exports types from, so
// a user's type check never needs @types/pg.
import type { PoolConfig } from 'pg';
import {
  connectionTarget,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type PostgresConnectionOptions,
  type SslMode,
} from './connection-options.ts';

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
