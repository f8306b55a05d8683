import * as z from 'zod/mini';
import { githubAppSchema, storedAppWebhookSecret } from '../github/app-config.ts';
import { githubAddOns, githubAppOf } from '../github/app-part.ts';
import { GITHUB_OAUTH } from '../github/oauth.ts';
import {
  type BuiltProvider,
  defineProvider,
  directOnly,
  type OAuthClientConfig,
  type ProviderContext,
  type SchemaKit,
  type SecretField,
  tokenOf,
  transportOf,
  webhookSecretRequirement,
} from '../registry/provider-entry.ts';
import { githubIssuesTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { GithubIssuesWebhookSource } from './webhook-source.ts';
import {
  GITHUB_ISSUES_REQUIRED_SCOPES,
  GithubIssuesWorkItemProvider,
  githubIssuesConfigSchema,
} from './work-item-provider.ts';

const TOKEN: SecretField = { field: 'token', env: 'GITHUB_TOKEN', kind: 'token' };
const WEBHOOK_SECRET: SecretField = {
  field: 'webhookSecret',
  env: 'GITHUB_WEBHOOK_SECRET',
  kind: 'webhook-secret',
};

function githubIssuesSchema(kit: SchemaKit) {
  return z
    .strictObject(
      z.extend(githubIssuesConfigSchema, {
        type: z.literal('github-issues'),
        transport: directOnly,
        token: kit.defaulted(TOKEN, 'A GitHub token; else the token `factory connect github-issues` stored.'),
        webhookSecret: kit.defaulted(
          WEBHOOK_SECRET,
          'The secret of the GitHub webhook (issues, issue_comment).',
        ),
        oauth: kit.oauthClient(GITHUB_OAUTH),
        app: githubAppSchema(kit.secrets),
      }).shape,
    )
    .check(z.describe('GitHub Issues of one or more repositories, through the REST API and webhooks.'));
}

type GithubIssuesEntryConfig = z.output<ReturnType<typeof githubIssuesSchema>>;

/** GitHub Issues as the intake: labels say ready and in progress, closing says done. */
export const githubIssuesProvider = defineProvider({
  type: 'github-issues',
  title: 'GitHub Issues',
  summary: 'GitHub Issues',
  roles: ['intentProvider'],
  secrets: [TOKEN, WEBHOOK_SECRET],
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
      ...(app
        ? { app: githubAppOf(context).auth(app, context, { ...rest, ...transportOf(context) }) }
        : tokenOf(token, context, rest.provider, oauth as OAuthClientConfig | undefined, GITHUB_OAUTH)),
      ...transportOf(context),
      logger: context.logger,
    });
    const secret = webhookSecret ?? storedAppWebhookSecret(app, context);
    if (!secret) return { port, missing: [webhookSecretRequirement(WEBHOOK_SECRET, 'GitHub')] };
    const replies = context.commentReplies;
    const source = new GithubIssuesWebhookSource({
      secret,
      provider: port,
      commentReplies: replies !== undefined,
      ...(replies?.trustedAuthors ? { trustedAuthors: replies.trustedAuthors } : {}),
    });
    return { port, sources: [source] };
  },
});
