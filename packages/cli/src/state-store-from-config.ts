import { readFileSync } from 'node:fs';
import {
  errorMessage,
  InMemoryStateStore,
  importOptionalPeer,
  type Logger,
  MissingPeerError,
  type StateStore,
} from '@software-factory/sdk';
import { CliError, EXIT_USAGE } from './cli-error.ts';
import type { FactoryConfig } from './config/config-schema.ts';
import { SqliteStateStore } from './sqlite-state-store.ts';

export interface OpenedStateStore {
  store: StateStore;
  /** What `factory check` shows of it: `postgres 127.0.0.1:5432/factory, schema 1`. */
  describe?: () => Promise<string>;
  close(): Promise<void>;
}

type StateStoreConfig = FactoryConfig['stateStore'];
type PostgresConfig = Extract<StateStoreConfig, { type: 'postgres' }>;

/**
 * Opens the configured store. A store that cannot be opened is a one-line CliError naming where it is
 * (the SQLite path, or the Postgres host:port/database, never the URL's password).
 */
export async function openStateStore(
  config: StateStoreConfig,
  options: { logger?: Logger; migrate?: boolean } = {},
): Promise<OpenedStateStore> {
  if (config.type === 'memory') return { store: new InMemoryStateStore(), async close() {} };
  if (config.type === 'postgres') return openPostgres(config, options);
  try {
    const store = new SqliteStateStore(config.path);
    return { store, close: async () => store.close() };
  } catch (error) {
    const reason = errorMessage(error);
    throw new CliError(
      `cannot open the state store at ${config.path} (${reason.replace(/^SqliteStateStore: cannot open \S+: /, '')}); set stateStore.path to a writable file`,
    );
  }
}

/** The Postgres store comes from its own package, loaded only here, so `pg` is installed only where used. */
async function openPostgres(
  config: PostgresConfig,
  { logger, migrate = true }: { logger?: Logger; migrate?: boolean },
): Promise<OpenedStateStore> {
  const { PostgresStateStore, describeTarget } = await importOptionalPeer(
    '@software-factory/postgres',
    'stateStore type postgres',
    () => import('@software-factory/postgres'),
  ).catch((error: unknown) => {
    if (error instanceof MissingPeerError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  });
  let ca: string | undefined;
  if (config.ca !== undefined) {
    try {
      ca = readFileSync(config.ca, 'utf8');
    } catch (error) {
      throw new CliError(
        `stateStore.ca: cannot read ${config.ca} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        EXIT_USAGE,
      );
    }
  }
  try {
    const store = await PostgresStateStore.open({
      url: config.url,
      ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(config.poolSize !== undefined ? { poolSize: config.poolSize } : {}),
      ...(config.connectTimeout !== undefined ? { connectTimeoutMs: config.connectTimeout } : {}),
      ...(config.statementTimeout !== undefined ? { statementTimeoutMs: config.statementTimeout } : {}),
      ...(config.idleTimeout !== undefined ? { idleTimeoutMs: config.idleTimeout } : {}),
      migrate,
      onConnectionError: (message) => logger?.warn('state store connection lost', { error: message }),
    });
    return {
      store,
      describe: async () => {
        const version = await store.schemaVersion();
        const schema =
          version === 0
            ? 'no schema yet (`factory start` creates it)'
            : `schema ${version} (this build: ${store.supportedSchemaVersion})`;
        return `postgres ${describeTarget(store.target)}, ${schema}`;
      },
      close: () => store.close(),
    };
  } catch (error) {
    const reason = errorMessage(error);
    throw new CliError(
      `cannot open the state store: ${reason}; check that the database is running and that stateStore.url points at it`,
    );
  }
}
