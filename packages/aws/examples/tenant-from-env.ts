import { createConsoleJsonLogger } from '@software-factory/aws';
import { HttpFleet } from '@software-factory/fleets/http';
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
  type StateStore,
  StaticTenantRegistry,
  TENANT_ID_PATTERN,
} from '@software-factory/sdk';
import { z } from 'zod';

const environmentSchema = z.object({
  FACTORY_TENANT: z.string().regex(TENANT_ID_PATTERN, 'letters, digits, - and _, up to 64'),
  /** The tenant's settings (routes, limits) as JSON: the `settings` block of factory.config.yaml. */
  FACTORY_SETTINGS: z.string().min(1, 'the tenant settings as JSON'),
  LINEAR_API_KEY: z.string().min(1),
  LINEAR_WEBHOOK_SECRET: z.string().min(1),
  SLACK_BOT_TOKEN: z.string().min(1),
  SLACK_SIGNING_SECRET: z.string().min(1),
  SLACK_CHANNEL: z.string().min(1),
  GITHUB_TOKEN: z.string().min(1),
  GITHUB_WEBHOOK_SECRET: z.string().min(1),
  FLEET_URL: z.url(),
  FLEET_SECRET: z.string().min(1),
});

/**
 * One tenant wired to Linear, Slack, GitHub and an HTTP fleet, from the function's environment. Errors
 * name the variables, never their values (they are secrets).
 */
export function tenantFromEnvironment(env: Record<string, string | undefined>, store: StateStore) {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`the factory's environment is incomplete: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  let rawSettings: unknown;
  try {
    rawSettings = JSON.parse(config.FACTORY_SETTINGS);
  } catch {
    throw new Error('FACTORY_SETTINGS is not valid JSON');
  }
  const settings = resolveSettings(rawSettings as Parameters<typeof resolveSettings>[0]);
  const logger = createConsoleJsonLogger();
  const linear = new LinearWorkItemProvider({ token: config.LINEAR_API_KEY });
  const slack = new SlackClarificationChannel({
    token: config.SLACK_BOT_TOKEN,
    channel: config.SLACK_CHANNEL,
  });
  const github = new GithubOutputTarget({ token: config.GITHUB_TOKEN, logger });
  const factory = createFactory({
    tenant: config.FACTORY_TENANT,
    settings,
    ports: {
      store,
      workItems: linear,
      clarifications: slack,
      outputs: github,
      fleet: new HttpFleet({ url: config.FLEET_URL, secret: config.FLEET_SECRET }),
      triage: new RuleTriage(settings.routes),
      template: new DefaultTaskTemplate(),
      logger,
    },
  });
  return new StaticTenantRegistry([
    directTenantRuntime({
      factory,
      linear: { provider: linear, webhookSecret: config.LINEAR_WEBHOOK_SECRET },
      slack: { channel: slack, signingSecret: config.SLACK_SIGNING_SECRET },
      github: { target: github, webhookSecret: config.GITHUB_WEBHOOK_SECRET },
    }),
  ]);
}
