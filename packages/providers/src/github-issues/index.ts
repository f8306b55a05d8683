import * as z from 'zod/mini';
import { githubAppSchema, storedAppWebhookSecret } from '../github/app-config.ts';
import { githubAddOns } from '../github/app-part.ts';
import { GITHUB_OAUTH } from '../github/oauth.ts';
import { GITHUB, githubAccessOf } from '../github/vendor.ts';
import { commentReplyOptions } from '../registry/api-vendor.ts';
import {
  type BuiltProvider,
  defineProvider,
  type ProviderContext,
  type SchemaKit,
} from '../registry/provider-entry.ts';
import { githubIssuesTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { GithubIssuesWebhookSource } from './webhook-source.ts';
import {
  GITHUB_ISSUES_REQUIRED_SCOPES,
  GithubIssuesWorkItemProvider,
  githubIssuesConfigSchema,
} from './work-item-provider.ts';

function githubIssuesSchema(kit: SchemaKit) {
  return GITHUB.directSchema(kit, {
    type: 'github-issues',
    port: githubIssuesConfigSchema,
    help: {
      token: '#github-issues.token',
      webhookSecret: '#github-issues.webhookSecret',
    },
    extra: { app: githubAppSchema(kit.secrets) },
    description: '#github-issues',
  });
}

type GithubIssuesEntryConfig = z.output<ReturnType<typeof githubIssuesSchema>>;

/** GitHub Issues as the intake: labels say ready and in progress, closing says done. */
export const githubIssuesProvider = defineProvider({
  type: 'github-issues',
  title: 'GitHub Issues',
  summary: 'GitHub Issues',
  roles: ['intentProvider'],
  secrets: GITHUB.secrets,
  scopes: GITHUB_ISSUES_REQUIRED_SCOPES,
  oauth: GITHUB_OAUTH,
  example: 'intentProvider: { type: github-issues, repositories: [{ repository: acme/app }] }',
  commentAuthors: githubIssuesTrustedAuthorsSchema,
  setup: {
    questions: [
      {
        field: 'repositories',
        flag: 'issues-repo',
        message: 'Repository whose issues are work items (owner/repo)',
        schema: z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/repo')),
        prompt: true,
        required: true,
        value: (repository) => [{ repository }],
      },
    ],
    readyLabel: (label) => ({ readyLabel: label }),
  },
  addOns: githubAddOns,
  schema: githubIssuesSchema,
  build(config: GithubIssuesEntryConfig, context: ProviderContext): BuiltProvider<'intentProvider'> {
    const { type: _type, transport: _transport, token, webhookSecret, oauth, app, ...rest } = config;
    const port = new GithubIssuesWorkItemProvider({
      ...rest,
      ...githubAccessOf(context, rest, { token, oauth, app }),
      logger: context.logger,
    });
    return GITHUB.withWebhookSource(
      port,
      webhookSecret ?? storedAppWebhookSecret(app, context),
      (secret) => new GithubIssuesWebhookSource({ secret, provider: port, ...commentReplyOptions(context) }),
    );
  },
});
