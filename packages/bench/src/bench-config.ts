import { BENCH_CHANNEL, BENCH_REPOSITORY, BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';

/** The env the config's `${…}` references resolve from. Loopback test values, not credentials. */
export const FACTORY_ENV = {
  BENCH_LINEAR_API_KEY: 'lin_api_bench_loopback_only',
  BENCH_LINEAR_WEBHOOK_SECRET: BENCH_SECRETS.linear,
  BENCH_SLACK_BOT_TOKEN: 'xoxb-bench-loopback-only',
  BENCH_SLACK_SIGNING_SECRET: BENCH_SECRETS.slack,
  BENCH_GITHUB_TOKEN: 'ghp_bench_loopback_only',
  BENCH_GITHUB_WEBHOOK_SECRET: BENCH_SECRETS.github,
  BENCH_FLEET_SECRET: 'bench-fleet-secret-loopback-only',
};

/** A `${NAME}` secret reference, as the config loader and `factory deploy` insist secrets are written. */
export const secretReference = (name: keyof typeof FACTORY_ENV) => `\${${name}}`;

/**
 * The bench tenant in `factory.config.yaml`, whether `factory start` runs it or `factory deploy` bundles
 * it: the direct Linear, Slack and GitHub providers pointed at the loopback vendors, and the one route.
 * The caller adds its fleet and whatever its runtime needs.
 */
export function benchTenantConfig(vendorUrl: string) {
  return {
    tenant: BENCH_TENANT,
    intentProvider: {
      type: 'linear',
      transport: 'direct',
      apiUrl: `${vendorUrl}/linear/graphql`,
      apiKey: secretReference('BENCH_LINEAR_API_KEY'),
      webhookSecret: secretReference('BENCH_LINEAR_WEBHOOK_SECRET'),
      readyStates: ['Todo'],
      requiredLabels: ['factory'],
    },
    clarificationChannel: {
      type: 'slack',
      transport: 'direct',
      apiUrl: `${vendorUrl}/slack/api`,
      botToken: secretReference('BENCH_SLACK_BOT_TOKEN'),
      signingSecret: secretReference('BENCH_SLACK_SIGNING_SECRET'),
      channel: BENCH_CHANNEL,
    },
    outputTarget: {
      type: 'github',
      transport: 'direct',
      baseUrl: `${vendorUrl}/github`,
      token: secretReference('BENCH_GITHUB_TOKEN'),
      webhookSecret: secretReference('BENCH_GITHUB_WEBHOOK_SECRET'),
    },
    routes: [{ name: 'app', match: { labels: ['factory'] }, repository: BENCH_REPOSITORY, agent: 'coder' }],
  };
}
