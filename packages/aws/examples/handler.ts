// The Lambda entry `npm run bundle` builds by default into dist/handler.mjs, which template.yaml runs as
// `handler.http` and `handler.schedule`. Copy it (and tenant-from-env.ts) to wire your own tenants.
import { createLambdaHandlers, DynamoStateStore } from '@software-factory/aws';
import { tenantFromEnvironment } from './tenant-from-env.ts';

const store = DynamoStateStore.fromEnvironment();

export const { http, schedule } = createLambdaHandlers({
  store,
  version: process.env.FACTORY_VERSION ?? 'dev',
  // Runs at the first invocation of each instance, so a configuration mistake is an invocation error
  // with its message rather than a crash at import.
  registry: async ({ metrics }) => tenantFromEnvironment(process.env, store, { metrics }),
  // Opens every tenant's detail at GET /healthz (Authorization: Bearer); anyone else sees {status, version}.
  ...(process.env.FACTORY_OPERATOR_TOKEN ? { operatorToken: process.env.FACTORY_OPERATOR_TOKEN } : {}),
});
