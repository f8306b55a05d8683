import { errorMessage } from '@software-factory/sdk';
import type { FactoryConfig } from '../config/config-schema.ts';
import { openStateStore } from '../state-store-from-config.ts';

/** `factory check`'s row for a shared database (a local SQLite file or memory has nothing to reach). */
export interface StoreRow {
  type: 'postgres';
  ok: boolean;
  /** Where it is and the schema version, when reachable: `postgres 127.0.0.1:5432/factory, schema 1 (this build: 1)`. */
  detail?: string;
  /** Why it cannot be used (never the URL or its password). */
  reason?: string;
}

/**
 * Connects to the configured database as `factory start` does, reads its schema version without
 * changing anything, and closes. Undefined for a store that is not a database server.
 */
export async function checkStateStore(config: FactoryConfig): Promise<StoreRow | undefined> {
  if (config.stateStore.type !== 'postgres') return undefined;
  try {
    const opened = await openStateStore(config.stateStore, { migrate: false });
    try {
      await opened.store.ping();
      return { type: 'postgres', ok: true, ...(opened.describe ? { detail: await opened.describe() } : {}) };
    } finally {
      await opened.close();
    }
  } catch (error) {
    return { type: 'postgres', ok: false, reason: errorMessage(error) };
  }
}
