import * as z from 'zod/mini';
import {
  type BuiltProvider,
  defineProvider,
  type OAuthClientConfig,
  type ProviderContext,
  relayfileMount,
  type SchemaKit,
  type SecretField,
  tokenOf,
  transportOf,
  webhookSecretRequirement,
} from '../registry/provider-entry.ts';
import { transports } from '../registry/role-schema.ts';
import { githubAppSchema, storedAppWebhookSecret } from './app-config.ts';
import { githubAddOns, githubAppOf } from './app-part.ts';
import { githubFeedbackConfigSchema } from './feedback-config.ts';
import { GithubFeedback } from './feedback-events.ts';
import { githubFeedbackReads } from './feedback-reader.ts';
import { GITHUB_OAUTH } from './oauth.ts';
import { GITHUB_REQUIRED_SCOPES, GithubOutputTarget, githubConfigSchema } from './output-target.ts';
import { GithubWebhookSource } from './webhook-source.ts';

const TOKEN: SecretField = { field: 'token', env: 'GITHUB_TOKEN', kind: 'token' };
const WEBHOOK_SECRET: SecretField = {
  field: 'webhookSecret',
  env: 'GITHUB_WEBHOOK_SECRET',
  kind: 'webhook-secret',
};

function githubSchema(kit: SchemaKit) {
  const direct = z.strictObject(
    z.extend(githubConfigSchema, {
      type: z.literal('github'),
      transport: z._default(z.literal('direct'), 'direct'),
      token: kit.defaulted(TOKEN, 'A GitHub token; else the token `factory connect github` stored.'),
      webhookSecret: kit.defaulted(WEBHOOK_SECRET, 'The secret of the GitHub webhook.'),
      oauth: kit.oauthClient(GITHUB_OAUTH),
      app: githubAppSchema(kit.secrets),
      feedback: z.optional(githubFeedbackConfigSchema),
    }).shape,
  );
  const relayfile = z.strictObject({
    type: z.literal('github'),
    transport: z.literal('relayfile'),
    provider: z._default(z.string().check(z.minLength(1)), 'github'),
    repositories: z
      .optional(
        z.array(
          z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/repo' })),
        ),
      )
      .check(z.describe('The owner/repo names whose pull requests the factory follows; all when absent.')),
  });
  return transports(['direct', 'relayfile'], [direct, relayfile]).check(
    z.describe(
      'GitHub pull requests: through its REST API and webhooks (`transport: direct`, the default), or through the relayfile mount.',
    ),
  );
}

type GithubEntryConfig = z.output<ReturnType<typeof githubSchema>>;

/** GitHub pull requests as the output target. */
export const githubProvider = defineProvider({
  type: 'github',
  title: 'GitHub',
  summary: 'GitHub pull requests',
  roles: ['outputTarget'],
  secrets: [TOKEN, WEBHOOK_SECRET],
  scopes: GITHUB_REQUIRED_SCOPES,
  oauth: GITHUB_OAUTH,
  example: 'outputTarget: { type: github }  (as a GitHub App: { type: github, app: {} })',
  addOns: githubAddOns,
  schema: githubSchema,
  build(config: GithubEntryConfig, context: ProviderContext): BuiltProvider<'outputTarget'> {
    if (config.transport === 'relayfile') {
      const { mount, ports } = relayfileMount(context, 'outputTarget');
      const port = new ports.MountOutputTarget({
        mount,
        provider: config.provider,
        ...(config.repositories ? { repositories: config.repositories } : {}),
      });
      return { port, mountSources: [port] };
    }
    const {
      type: _type,
      transport: _transport,
      token,
      webhookSecret,
      oauth,
      app,
      feedback,
      ...rest
    } = config;
    const port = new GithubOutputTarget({
      ...rest,
      ...(app
        ? { app: githubAppOf(context).auth(app, context, { ...rest, ...transportOf(context) }) }
        : tokenOf(token, context, rest.provider, oauth as OAuthClientConfig | undefined, GITHUB_OAUTH)),
      ...transportOf(context),
      logger: context.logger,
    });
    const secret = webhookSecret ?? storedAppWebhookSecret(app, context);
    if (!secret) return { port, missing: [webhookSecretRequirement(WEBHOOK_SECRET, 'GitHub')] };
    // Review feedback reads a review's remarks and a commented pull request with the target's token.
    const reviews = new GithubFeedback({ ...feedback, reads: githubFeedbackReads(port.github) });
    return { port, sources: [new GithubWebhookSource({ secret, feedback: reviews })] };
  },
});
