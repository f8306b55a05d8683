import { consoleJsonLogger } from '@software-factory/aws';
import { FleetWebhookSource, HttpFleet } from '@software-factory/fleets/http';
import {
  buildTenantWith,
  githubProvider,
  linearProvider,
  ProviderRegistry,
  slackProvider,
  tenantConfigFromSettings,
  tenantSettings,
} from '@software-factory/providers/registry';
import {
  createFactory,
  DefaultTaskTemplate,
  type FactoryMetrics,
  RuleTriage,
  SECRET_FIELD,
  type StateStore,
  StaticTenantRegistry,
  TENANT_ID_PATTERN,
} from '@software-factory/sdk';
import * as z from 'zod/mini';

// The providers this function uses, and so the only vendors' code in its bundle (the built-in
// `providerRegistry`, which `parseTenantConfig` and `buildTenant` read by default, brings every vendor).
const providers = new ProviderRegistry([linearProvider, slackProvider, githubProvider]);

const environmentSchema = z.object({
  FACTORY_TENANT: z.string().check(z.regex(TENANT_ID_PATTERN, 'letters, digits, - and _, up to 64')),
  /** The tenant's settings (routes, limits) as JSON: the `settings` block of factory.config.yaml. */
  FACTORY_SETTINGS: z.string().check(z.minLength(1, 'the tenant settings as JSON')),
  LINEAR_API_KEY: z.string().check(z.minLength(1)),
  LINEAR_WEBHOOK_SECRET: z.string().check(z.minLength(1)),
  SLACK_BOT_TOKEN: z.string().check(z.minLength(1)),
  SLACK_SIGNING_SECRET: z.string().check(z.minLength(1)),
  SLACK_CHANNEL: z.string().check(z.minLength(1)),
  GITHUB_TOKEN: z.string().check(z.minLength(1)),
  GITHUB_WEBHOOK_SECRET: z.string().check(z.minLength(1)),
  FLEET_URL: z.url(),
  FLEET_SECRET: z.string().check(z.minLength(1)),
});

/**
 * One tenant wired to Linear, Slack, GitHub and an HTTP fleet, from the function's environment, through
 * the provider registry: each provider is given by its name and reads its secrets from its default
 * variables (LINEAR_API_KEY, LINEAR_WEBHOOK_SECRET, SLACK_BOT_TOKEN, …), the same config model as
 * `factory.config.yaml`. Errors name the variables, never their values (they are secrets).
 */
export function tenantFromEnvironment(
  env: Record<string, string | undefined>,
  store: StateStore,
  options: { metrics?: FactoryMetrics } = {},
) {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`the factory's environment is incomplete: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const config = tenantConfigFromSettings(
    providers,
    { variable: 'FACTORY_SETTINGS', json: vars.FACTORY_SETTINGS },
    {
      intentProvider: 'linear',
      clarificationChannel: { type: 'slack', channel: vars.SLACK_CHANNEL },
      outputTarget: 'github',
    },
    { env },
  );
  // The variables named like credentials are scrubbed from every line, wherever they appear.
  const logger = consoleJsonLogger({
    secrets: Object.entries(env).flatMap(([name, value]) =>
      value && SECRET_FIELD.test(name) ? [value] : [],
    ),
  });
  const tenant = vars.FACTORY_TENANT;
  const built = buildTenantWith(providers, config, { tenant, logger });
  const factory = createFactory({
    tenant,
    settings: tenantSettings(config),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ports: {
      store,
      ...built.ports,
      fleet: new HttpFleet({ url: vars.FLEET_URL, secret: vars.FLEET_SECRET }),
      triage: new RuleTriage(config.routes),
      template: new DefaultTaskTemplate(),
      logger,
    },
  });
  return new StaticTenantRegistry([
    // Where the fleet reports an agent's exit: /t/<tenant>/webhooks/fleet.
    built.runtime(factory, { sources: [new FleetWebhookSource({ secret: vars.FLEET_SECRET })] }),
  ]);
}
