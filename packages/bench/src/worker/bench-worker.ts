// The Worker the bench runs inside workerd (through Miniflare): the Cloudflare package's own
// createFactoryWorker and FactoryStateObject, with the bench's tenant over a counting store.

import { createFactoryWorker, FactoryStateObject } from '@software-factory/cloudflare';
import { StaticTenantRegistry } from '@software-factory/sdk';
import { benchTenant } from '../bench-tenant.ts';
import { CountingStateStore } from '../counting-state-store.ts';

export { FactoryStateObject };

let counting: CountingStateStore | undefined;

const worker = createFactoryWorker({
  version: 'bench',
  tenants: ({ store, metrics }) => {
    counting = new CountingStateStore(store);
    return new StaticTenantRegistry([benchTenant(counting.store, { metrics }).runtime]);
  },
});

type WorkerFetch = (request: Request, env: unknown, context: unknown) => Promise<Response>;

export default {
  async fetch(request: Request, env: unknown, context: unknown): Promise<Response> {
    // The factory's store calls since the last ask; read by the bench between deliveries.
    if (new URL(request.url).pathname === '/__bench/store-calls')
      return Response.json(counting?.take() ?? {});
    return (worker.fetch as unknown as WorkerFetch)(request, env, context);
  },
};
