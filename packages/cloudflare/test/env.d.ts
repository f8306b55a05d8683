import type { FactoryStateObject } from '../src/index.ts';

declare global {
  namespace Cloudflare {
    interface Env {
      FACTORY_STATE: DurableObjectNamespace<FactoryStateObject>;
      FACTORY_CACHE: KVNamespace;
    }
  }
}
