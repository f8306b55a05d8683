// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { FactoryProcess } from './support/factory-process.ts';
import { remoteOnboardingSpec } from './support/remote-onboarding.ts';
import { RemoteTenantsWorld } from './support/remote-tenants-world.ts';

// `factory start` with no tenant in its config: every team is added through the admin API, its state and
// its sealed Linear token in the SQLite store; the credentials key is FACTORY_CREDENTIALS_KEY.
const CONFIG = `server:
  host: 127.0.0.1
  port: 0
  operatorToken: \${FACTORY_OPERATOR_TOKEN}
stateStore: { type: sqlite, path: .factory/state.sqlite }
tick: { interval: 1m }
tenants: []
`;

const world = new RemoteTenantsWorld();
let factory: FactoryProcess | undefined;
let url = '';

beforeAll(async () => {
  await world.start();
  writeFileSync(path.join(world.dir, 'factory.config.yaml'), CONFIG);
  factory = new FactoryProcess(['start'], { cwd: world.dir, env: world.deploymentEnv() });
  url = await factory.url();
}, 60_000);

afterAll(async () => {
  if (factory) {
    factory.kill('SIGTERM');
    await factory.exited;
  }
  await world.stop();
});

describe('tenants as data on Node: factory start (SQLite), onboarded with the CLI', () => {
  remoteOnboardingSpec(world, () => ({
    url,
    output: () => `${factory?.stdout ?? ''}${factory?.stderr ?? ''}`,
  }));
});
