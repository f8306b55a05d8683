import { InMemoryStateStore, type StateStore } from '@software-factory/sdk';
import { CliError } from './cli-error.ts';
import type { FactoryConfig } from './config/config-schema.ts';
import { SqliteStateStore } from './sqlite-state-store.ts';

export interface OpenedStateStore {
  store: StateStore;
  close(): void;
}

/** Opens the configured store; a path that cannot be opened is a one-line CliError naming it. */
export function openStateStore(config: FactoryConfig['stateStore']): OpenedStateStore {
  if (config.type === 'memory') return { store: new InMemoryStateStore(), close() {} };
  try {
    const store = new SqliteStateStore(config.path);
    return { store, close: () => store.close() };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `cannot open the state store at ${config.path} (${reason.replace(/^SqliteStateStore: cannot open \S+: /, '')}); set stateStore.path to a writable file`,
    );
  }
}
