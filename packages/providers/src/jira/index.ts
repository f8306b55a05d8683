import * as z from 'zod/mini';
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
import { jiraTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { JIRA_OAUTH } from './oauth.ts';
import { JiraWebhookSource } from './webhook-source.ts';
import { JIRA_REQUIRED_SCOPES, JiraWorkItemProvider, jiraConfigSchema } from './work-item-provider.ts';

const TOKEN: SecretField = { field: 'token', env: 'JIRA_API_TOKEN', kind: 'token' };
const WEBHOOK_SECRET: SecretField = {
  field: 'webhookSecret',
  env: 'JIRA_WEBHOOK_SECRET',
  kind: 'webhook-secret',
};

function jiraSchema(kit: SchemaKit) {
  return z
    .strictObject(
      z.extend(jiraConfigSchema, {
        type: z.literal('jira'),
        transport: directOnly,
        token: kit.defaulted(
          TOKEN,
          'An API token (with `email`) or an OAuth token; else the token `factory connect jira` stored.',
        ),
        webhookSecret: kit.defaulted(WEBHOOK_SECRET, 'The secret of the Jira admin webhook.'),
        oauth: kit.oauthClient(JIRA_OAUTH),
      }).shape,
    )
    .check(z.describe('Jira Cloud issues, through its REST API v3 and admin webhooks.'));
}

type JiraEntryConfig = z.output<ReturnType<typeof jiraSchema>>;

/**
 * Jira Cloud issues as the intake. Its token is an API token (with `email`) given by reference, or the
 * one `factory connect jira` stored through Atlassian's OAuth 2.0 (3LO), for the site `siteUrl` names.
 */
export const jiraProvider = defineProvider({
  type: 'jira',
  title: 'Jira',
  summary: 'Jira issues',
  roles: ['intentProvider'],
  secrets: [TOKEN, WEBHOOK_SECRET],
  scopes: JIRA_REQUIRED_SCOPES,
  oauth: JIRA_OAUTH,
  example: 'intentProvider: { type: jira, siteUrl: https://acme.atlassian.net }',
  commentAuthors: jiraTrustedAuthorsSchema,
  setup: {
    questions: [
      {
        field: 'siteUrl',
        flag: 'jira-site',
        message: 'Jira site URL (e.g. https://acme.atlassian.net)',
        schema: z.url({ protocol: /^https?$/, error: 'expected a URL such as https://acme.atlassian.net' }),
        prompt: true,
        required: true,
      },
      {
        field: 'email',
        flag: 'jira-email',
        message: "The Jira account's email, for an API token",
        schema: z.email({ error: 'expected an email address' }),
        prompt: false,
        required: false,
      },
    ],
    readyLabel: (label) => ({ requiredLabels: [label] }),
  },
  schema: jiraSchema,
  build(config: JiraEntryConfig, context: ProviderContext): BuiltProvider<'intentProvider'> {
    const { type: _type, transport: _transport, token, webhookSecret, oauth, ...rest } = config;
    const port = new JiraWorkItemProvider({
      ...rest,
      ...tokenOf(token, context, rest.provider, oauth, JIRA_OAUTH),
      ...transportOf(context),
    });
    if (!webhookSecret) return { port, missing: [webhookSecretRequirement(WEBHOOK_SECRET, 'Jira')] };
    const replies = context.commentReplies;
    const source = new JiraWebhookSource({
      secret: webhookSecret,
      provider: port,
      commentReplies: replies !== undefined,
      ...(replies?.trustedAuthors ? { trustedAuthors: replies.trustedAuthors } : {}),
    });
    return { port, sources: [source] };
  },
});
