import { z } from 'zod';
import {
  type BuiltProvider,
  defineProvider,
  directOnly,
  type ProviderContext,
  type SchemaKit,
  type SecretField,
  tokenOf,
  transportOf,
  webhookSecretRequirement,
} from '../registry/provider-entry.ts';
import { GITLAB_REQUIRED_SCOPES, GitlabOutputTarget, gitlabConfigSchema } from './output-target.ts';
import { GitlabWebhookSource } from './webhook-source.ts';

const TOKEN: SecretField = { field: 'token', env: 'GITLAB_TOKEN', kind: 'token' };
const WEBHOOK_SECRET: SecretField = {
  field: 'webhookSecret',
  env: 'GITLAB_WEBHOOK_SECRET',
  kind: 'webhook-secret',
};

function gitlabSchema(kit: SchemaKit) {
  return gitlabConfigSchema
    .extend({
      type: z.literal('gitlab'),
      transport: directOnly,
      token: kit.defaulted(TOKEN, 'A personal, project or group access token, or an OAuth token.'),
      webhookSecret: kit.defaulted(WEBHOOK_SECRET, 'The secret token GitLab sends in X-Gitlab-Token.'),
    })
    .strict()
    .describe('GitLab merge requests, through the REST API v4 and project webhooks.');
}

type GitlabEntryConfig = z.output<ReturnType<typeof gitlabSchema>>;

/** GitLab merge requests as the output target. `factory connect` has no GitLab sign-in: a token by reference. */
export const gitlabProvider = defineProvider({
  type: 'gitlab',
  title: 'GitLab',
  summary: 'GitLab merge requests',
  roles: ['outputTarget'],
  secrets: [TOKEN, WEBHOOK_SECRET],
  scopes: GITLAB_REQUIRED_SCOPES,
  example: 'outputTarget: { type: gitlab, baseUrl: https://gitlab.com }',
  setup: {
    questions: [
      {
        field: 'baseUrl',
        flag: 'gitlab-url',
        message: 'The GitLab instance (default: https://gitlab.com)',
        schema: z.url({ protocol: /^https?$/, error: 'expected a URL such as https://gitlab.com' }),
        prompt: false,
        required: false,
      },
    ],
  },
  schema: gitlabSchema,
  build(config: GitlabEntryConfig, context: ProviderContext): BuiltProvider<'outputTarget'> {
    const { type: _type, transport: _transport, token, webhookSecret, ...rest } = config;
    const port = new GitlabOutputTarget({
      ...rest,
      ...tokenOf(token, context, rest.provider, undefined, undefined),
      ...transportOf(context),
    });
    if (!webhookSecret) return { port, missing: [webhookSecretRequirement(WEBHOOK_SECRET, 'GitLab')] };
    return { port, sources: [new GitlabWebhookSource({ secret: webhookSecret })] };
  },
});
