import * as z from 'zod/mini';
import { apiVendor, commentReplyOptions } from '../registry/api-vendor.ts';
import {
  type BuiltProvider,
  defineProvider,
  type ProviderContext,
  type SchemaKit,
} from '../registry/provider-entry.ts';
import { jiraTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { JIRA_OAUTH } from './oauth.ts';
import { JiraWebhookSource } from './webhook-source.ts';
import { JIRA_REQUIRED_SCOPES, JiraWorkItemProvider, jiraConfigSchema } from './work-item-provider.ts';

const JIRA = apiVendor({
  vendor: 'Jira',
  token: { field: 'token', env: 'JIRA_API_TOKEN' },
  webhookSecret: { env: 'JIRA_WEBHOOK_SECRET' },
  oauth: JIRA_OAUTH,
});

function jiraSchema(kit: SchemaKit) {
  return JIRA.directSchema(kit, {
    type: 'jira',
    port: jiraConfigSchema,
    help: {
      token: '#jira.token',
      webhookSecret: '#jira.webhookSecret',
    },
    extra: {},
    description: '#jira',
  });
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
  secrets: JIRA.secrets,
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
      ...JIRA.access(context, rest.provider, token, oauth),
    });
    return JIRA.withWebhookSource(
      port,
      webhookSecret,
      (secret) => new JiraWebhookSource({ secret, provider: port, ...commentReplyOptions(context) }),
    );
  },
});
