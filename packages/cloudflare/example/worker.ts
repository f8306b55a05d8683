// An example Worker entry: one tenant wired to Linear, Slack, GitHub and a signed HTTP fleet, from
// the Worker's vars and secrets, through the provider registry (each provider by its name, its
// secrets from its default bindings: LINEAR_API_KEY, LINEAR_WEBHOOK_SECRET, SLACK_BOT_TOKEN, …). `wrangler.jsonc` points at it; copy it to start your own entry (for
// many tenants, build one runtime per tenant from your own tenant list).
//
//   vars:    FACTORY_TENANT, FACTORY_SETTINGS (JSON), SLACK_CHANNEL, FLEET_URL
//   secrets: LINEAR_API_KEY, LINEAR_WEBHOOK_SECRET, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
//            GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET, FLEET_SECRET   (`wrangler secret put NAME`)
//   optional secret: FACTORY_ADMIN_TOKEN opens the read-only dashboard at /t/<tenant>/

import {
  cacheConnections,
  createFactoryWorker,
  FactoryConfigError,
  FactoryStateObject,
} from '@software-factory/cloudflare';
import { FleetWebhookSource, HttpFleet } from '@software-factory/fleets/http';
import {
  buildTenantWith,
  githubProvider,
  linearProvider,
  ProviderRegistry,
  slackProvider,
  type TenantConfig,
  TenantSettingsError,
  tenantConfigFromSettings,
  tenantSettings,
} from '@software-factory/providers/registry';
import {
  createFactory,
  DefaultTaskTemplate,
  RuleTriage,
  StaticTenantRegistry,
  type TenantRuntime,
} from '@software-factory/sdk';

export { FactoryStateObject };

// The providers this Worker uses, and so the only vendors' code in its bundle (the built-in
// `providerRegistry`, which `parseTenantConfig` and `buildTenant` read by default, brings every vendor).
// Add-ons too: list `linearAgentMode` for a tenant in Linear's `mode: agent`, `githubApp` for `app:`.
const providers = new ProviderRegistry([linearProvider, slackProvider, githubProvider]);

const REQUIRED = [
  'FACTORY_TENANT',
  'SLACK_CHANNEL',
  'FLEET_URL',
  'LINEAR_API_KEY',
  'LINEAR_WEBHOOK_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'GITHUB_TOKEN',
  'GITHUB_WEBHOOK_SECRET',
  'FLEET_SECRET',
] as const;

type ExampleEnv = Record<(typeof REQUIRED)[number], string> & {
  FACTORY_SETTINGS?: string;
  FACTORY_ADMIN_TOKEN?: string;
};

export default createFactoryWorker<ExampleEnv>({
  version: '0.1.0',
  tenants: ({ env, store, cache, metrics }) => {
    // Names only: a message that quoted values could quote a secret.
    const missing = REQUIRED.filter((name) => typeof env[name] !== 'string' || env[name] === '');
    if (missing.length > 0) throw new FactoryConfigError(`set ${missing.join(', ')} (vars or secrets)`);
    let config: TenantConfig;
    try {
      config = tenantConfigFromSettings(
        providers,
        { variable: 'FACTORY_SETTINGS', json: env.FACTORY_SETTINGS ?? '{}' },
        {
          intentProvider: 'linear',
          clarificationChannel: { type: 'slack', channel: env.SLACK_CHANNEL },
          outputTarget: 'github',
        },
        { env: env as unknown as Record<string, string | undefined> },
      );
    } catch (error) {
      if (error instanceof TenantSettingsError) throw new FactoryConfigError(error.message);
      throw error;
    }

    const built = buildTenantWith(providers, config, { tenant: env.FACTORY_TENANT });
    const fleet = new HttpFleet({ url: env.FLEET_URL, secret: env.FLEET_SECRET });
    const factory = createFactory({
      tenant: env.FACTORY_TENANT,
      settings: tenantSettings(config),
      metrics,
      ports: {
        store,
        ...built.ports,
        fleet,
        triage: new RuleTriage(config.routes),
        template: new DefaultTaskTemplate(),
      },
    });
    const direct = built.runtime(factory, {
      sources: [new FleetWebhookSource({ secret: env.FLEET_SECRET })],
      ...(env.FACTORY_ADMIN_TOKEN ? { adminToken: env.FACTORY_ADMIN_TOKEN } : {}),
    });
    const tenant: TenantRuntime = {
      ...direct,
      // Shared by every isolate through KV, so a busy tenant does not ask three APIs per delivery.
      connections: cache
        ? cacheConnections(cache, direct.id, () => direct.connections())
        : direct.connections,
    };
    return new StaticTenantRegistry([tenant]);
  },
});
