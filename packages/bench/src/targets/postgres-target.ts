import { PostgresStateStore } from '@software-factory/postgres';
import { startPostgres } from '../../../postgres/test/support/postgres-server.ts';
import type { BenchTarget } from './bench-target.ts';
import { inProcessTarget } from './in-process-target.ts';

/**
 * The Postgres store against a real server (`initdb` into a temporary folder, 127.0.0.1, the one the
 * Postgres tests start) running in its own processes, so its work is not counted as ours, as a managed
 * database's is not. Every store call is one statement, so the counted store calls are its round trips.
 */
export async function postgresTarget(): Promise<BenchTarget> {
  const server = await startPostgres();
  let store: PostgresStateStore | undefined;
  try {
    const url = await server.freshDatabase();
    return await inProcessTarget({
      store: 'Postgres (loopback server)',
      open: async () => {
        store = await PostgresStateStore.open({ url });
        return store;
      },
      async close() {
        await store?.close();
        await server.close();
      },
    });
  } catch (error) {
    await store?.close();
    await server.close();
    throw error;
  }
}
