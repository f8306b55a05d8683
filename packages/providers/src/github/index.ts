import * as z from 'zod/mini';
import { builtOnMount } from '../registry/mount-port.ts';
import {
  type BuiltProvider,
  defineProvider,
  type ProviderContext,
  type SchemaKit,
} from '../registry/provider-entry.ts';
import { transports } from '../registry/role-schema.ts';
import { githubAppSchema, storedAppWebhookSecret } from './app-config.ts';
import { githubAddOns } from './app-part.ts';
import { githubFeedbackConfigSchema } from './feedback-config.ts';
import { GITHUB_OAUTH } from './oauth.ts';
import { GITHUB_REQUIRED_SCOPES, GithubOutputTarget, githubConfigSchema } from './output-target.ts';
import { GITHUB, githubAccessOf } from './vendor.ts';
import { GithubWebhookSource } from './webhook-source.ts';

function githubSchema(kit: SchemaKit) {
  const direct = z.strictObject(
    z.extend(githubConfigSchema, {
      type: z.literal('github'),
      ...GITHUB.directFields(kit, {
        token: '#github.token',
        webhookSecret: '#github.webhookSecret',
      }),
      // Not `directOnly`: GitHub can also be reached through the relayfile mount.
      transport: z._default(z.literal('direct'), 'direct'),
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
      .check(z.describe('#github.repositories')),
  });
  return transports(['direct', 'relayfile'], [direct, relayfile]).check(z.describe('#github'));
}

type GithubEntryConfig = z.output<ReturnType<typeof githubSchema>>;

/** GitHub pull requests as the output target. */
export const githubProvider = defineProvider({
  type: 'github',
  title: 'GitHub',
  summary: 'GitHub pull requests',
  roles: ['outputTarget'],
  secrets: GITHUB.secrets,
  scopes: GITHUB_REQUIRED_SCOPES,
  oauth: GITHUB_OAUTH,
  example: 'outputTarget: { type: github }  (as a GitHub App: { type: github, app: {} })',
  addOns: githubAddOns,
  schema: githubSchema,
  build(config: GithubEntryConfig, context: ProviderContext): BuiltProvider<'outputTarget'> {
    if (config.transport === 'relayfile')
      return builtOnMount(
        context,
        'outputTarget',
        (mount, ports) =>
          new ports.MountOutputTarget({
            mount,
            provider: config.provider,
            ...(config.repositories ? { repositories: config.repositories } : {}),
          }),
      );
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
      ...githubAccessOf(context, rest, { token, oauth, app }),
      logger: context.logger,
      ...(feedback ? { feedback } : {}),
    });
    return GITHUB.withWebhookSource(
      port,
      webhookSecret ?? storedAppWebhookSecret(app, context),
      // Review feedback reads a review's remarks and a commented pull request with the target's token.
      (secret) => new GithubWebhookSource({ secret, feedback: port.feedback }),
    );
  },
});
