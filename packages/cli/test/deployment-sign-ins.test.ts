import { randomBytes } from 'node:crypto';
import { providerRegistry } from '@software-factory/providers/registry';
import { InMemoryStateStore } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { tenantsAsData } from '../src/deploy/runtime/deployment-tenants.ts';
import { signIns } from '../src/deploy/runtime/sign-in-support.ts';

describe('sign-ins on a deployment', () => {
  const key = randomBytes(32).toString('base64');

  it('need the sign-in support from the entry when the deployment has a credentials key', async () => {
    await expect(
      tenantsAsData({ store: new InMemoryStateStore(), providers: providerRegistry }, { key }),
    ).rejects.toThrow(
      'server.credentialsKey: this entry gives no sign-in support (signIns, from @software-factory/cli/deployment); generate it again with `factory deploy`',
    );
    const tenants = await tenantsAsData(
      { store: new InMemoryStateStore(), providers: providerRegistry, signIns },
      { key },
    );
    expect(await tenants.list()).toEqual([]);
  });

  it('need nothing from the auth package without a credentials key', async () => {
    const tenants = await tenantsAsData({ store: new InMemoryStateStore(), providers: providerRegistry }, {});
    expect(await tenants.list()).toEqual([]);
  });
});
