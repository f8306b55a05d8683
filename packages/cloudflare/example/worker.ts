// An example Worker entry: one tenant wired to Linear, Slack, GitHub and a signed HTTP fleet, from
// the Worker's vars and secrets. `wrangler.jsonc` points at it; copy it to start your own entry (for
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
  directTenantRuntime,
  GithubOutputTarget,
  LinearWorkItemProvider,
  SlackClarificationChannel,
} from '@software-factory/providers';
import {
  createFactory,
  DefaultTaskTemplate,
  RuleTriage,
  resolveSettings,
  StaticTenantRegistry,
  type TenantRuntime,
} from '@software-factory/sdk';

export { FactoryStateObject };

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
    let settings: ReturnType<typeof resolveSettings>;
    try {
      settings = resolveSettings(JSON.parse(env.FACTORY_SETTINGS ?? '{}'));
    } catch (error) {
      throw new FactoryConfigError(`FACTORY_SETTINGS is not valid: ${(error as Error).message}`);
    }

    const workItems = new LinearWorkItemProvider({ token: env.LINEAR_API_KEY });
    const clarifications = new SlackClarificationChannel({
      channel: env.SLACK_CHANNEL,
      token: env.SLACK_BOT_TOKEN,
    });
    const outputs = new GithubOutputTarget({ token: env.GITHUB_TOKEN });
    const fleet = new HttpFleet({ url: env.FLEET_URL, secret: env.FLEET_SECRET });
    const factory = createFactory({
      tenant: env.FACTORY_TENANT,
      settings,
      metrics,
      ports: {
        store,
        workItems,
        clarifications,
        outputs,
        fleet,
        triage: new RuleTriage(settings.routes),
        template: new DefaultTaskTemplate(),
      },
    });
    const direct = directTenantRuntime({
      factory,
      linear: { provider: workItems, webhookSecret: env.LINEAR_WEBHOOK_SECRET },
      slack: { channel: clarifications, signingSecret: env.SLACK_SIGNING_SECRET },
      github: { target: outputs, webhookSecret: env.GITHUB_WEBHOOK_SECRET },
    });
    const tenant: TenantRuntime = {
      ...direct,
      sources: new Map([...direct.sources, ['fleet', new FleetWebhookSource({ secret: env.FLEET_SECRET })]]),
      // Shared by every isolate through KV, so a busy tenant does not ask three APIs per delivery.
      connections: cache
        ? cacheConnections(cache, direct.id, () => direct.connections())
        : direct.connections,
      ...(env.FACTORY_ADMIN_TOKEN ? { adminToken: env.FACTORY_ADMIN_TOKEN } : {}),
    };
    return new StaticTenantRegistry([tenant]);
  },
});
