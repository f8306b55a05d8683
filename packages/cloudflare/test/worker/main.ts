import { StaticTenantRegistry } from '@software-factory/sdk';
import { FactoryHarness, TestWebhookSource } from '@software-factory/sdk/testing';
import { createFactoryWorker, FactoryStateObject } from '../../src/index.ts';

/**
 * The Worker entry the tests deploy into workerd (vitest.config.ts `main`), written the way README.md
 * tells a deployer to write theirs: re-export the Durable Object class, default-export the Worker.
 */
export { FactoryStateObject };

export const DEPLOYED_TENANT = 'deployed';
export const DEPLOYED_SECRET = 'deployed-signing-secret';
export const DEPLOYED_OPERATOR_TOKEN = 'operator-token-of-the-deployed-worker-01';

/** The deployed tenant's fakes, filled in when the Worker first builds its runtime. */
export const deployed: { harness?: FactoryHarness } = {};

export default createFactoryWorker({
  version: 'test-main',
  operatorToken: () => DEPLOYED_OPERATOR_TOKEN,
  tenants: ({ store }) => {
    const harness = new FactoryHarness({ tenant: DEPLOYED_TENANT, store });
    deployed.harness = harness;
    return new StaticTenantRegistry([
      {
        id: DEPLOYED_TENANT,
        factory: harness.factory,
        sources: new Map([['test', new TestWebhookSource(DEPLOYED_SECRET)]]),
        connections: async () => [],
      },
    ]);
  },
});
