// A Lambda entry for the bundle test: what a deployer's handler looks like, except that the tenants come
// from the test (through a global), so the test can watch their fakes.

import { createLambdaHandlers, DynamoStateStore } from '@software-factory/aws';
import type { StateStore, TenantRegistry } from '@software-factory/sdk';

type RegistryFactory = (store: StateStore) => TenantRegistry;

const store = DynamoStateStore.fromEnvironment();

export const { http, schedule } = createLambdaHandlers({
  store,
  version: process.env.FACTORY_VERSION ?? 'dev',
  registry: () =>
    (globalThis as { factoryTestRegistry?: RegistryFactory }).factoryTestRegistry?.(store) ?? fail(),
});

function fail(): never {
  throw new Error('the test did not set globalThis.factoryTestRegistry');
}
