import * as z from 'zod/mini';
import { apiVendor } from '../registry/api-vendor.ts';
import { specForConfig } from '../registry/oauth-endpoints.ts';
import {
  type BuiltProvider,
  defineProvider,
  type ProviderContext,
  type SchemaKit,
} from '../registry/provider-entry.ts';
import { gitlabFeedbackConfigSchema } from './feedback-events.ts';
import { GITLAB_OAUTH } from './oauth.ts';
import { GITLAB_REQUIRED_SCOPES, GitlabOutputTarget, gitlabConfigSchema } from './output-target.ts';
import { GitlabWebhookSource } from './webhook-source.ts';

const GITLAB = apiVendor({
  vendor: 'GitLab',
  token: { field: 'token', env: 'GITLAB_TOKEN' },
  webhookSecret: { env: 'GITLAB_WEBHOOK_SECRET' },
  oauth: GITLAB_OAUTH,
});

function gitlabSchema(kit: SchemaKit) {
  return GITLAB.directSchema(kit, {
    type: 'gitlab',
    port: gitlabConfigSchema,
    help: {
      token: '#gitlab.token',
      webhookSecret: '#gitlab.webhookSecret',
    },
    extra: { feedback: z.optional(gitlabFeedbackConfigSchema) },
    description: '#gitlab',
  });
}

type GitlabEntryConfig = z.output<ReturnType<typeof gitlabSchema>>;

/**
 * GitLab merge requests as the output target. Its token is an access token given by reference, or the
 * one `factory connect gitlab` stored through the instance's OAuth (`baseUrl`, gitlab.com by default).
 */
export const gitlabProvider = defineProvider({
  type: 'gitlab',
  title: 'GitLab',
  summary: 'GitLab merge requests',
  roles: ['outputTarget'],
  secrets: GITLAB.secrets,
  scopes: GITLAB_REQUIRED_SCOPES,
  oauth: GITLAB_OAUTH,
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
    const { type: _type, transport: _transport, token, webhookSecret, oauth, feedback, ...rest } = config;
    const port = new GitlabOutputTarget({
      ...rest,
      // Refreshed at the instance that issued it, not gitlab.com.
      ...GITLAB.access(context, rest.provider, token, oauth, specForConfig(GITLAB_OAUTH, config)),
      ...(feedback ? { feedback } : {}),
    });
    return GITLAB.withWebhookSource(
      port,
      webhookSecret,
      (secret) => new GitlabWebhookSource({ secret, feedback: port.feedback }),
    );
  },
});
