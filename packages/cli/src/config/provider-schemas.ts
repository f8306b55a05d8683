import {
  commentsConfigSchema,
  githubConfigSchema,
  githubIssuesConfigSchema,
  gitlabConfigSchema,
  jiraConfigSchema,
  linearConfigSchema,
  slackConfigSchema,
} from '@software-factory/providers';
import { mountTrustedAuthorsSchema } from '@software-factory/relayfile';
import { WORK_ITEM_STATES } from '@software-factory/sdk';
import { z } from 'zod';
import { fleetSchema } from './fleet-schemas.ts';
import { type SecretResolver, secretReference } from './secret-reference.ts';
import { triageSchema } from './triage-schema.ts';

const text = z.string().min(1);
const url = z.url({ protocol: /^https?$/ });
const names = z.array(text);

/** Only direct exists for these; the field is accepted so every provider reads the same way. */
const directOnly = z
  .literal('direct')
  .default('direct')
  .describe('How the factory talks to the vendor: its API and webhooks (the only transport here).');

/**
 * The OAuth client a stored token was granted to, so it can be refreshed when it expires. Not secret
 * except the client secret; without this block `<PROVIDER>_CLIENT_ID` / `_CLIENT_SECRET` are used.
 */
function oauthClient(secrets: SecretResolver, example: string) {
  return z
    .object({
      clientId: text.describe('The OAuth app’s client id.'),
      clientSecret: secretReference(secrets, `${example}_CLIENT_SECRET`).optional(),
      tokenUrl: url
        .optional()
        .describe('The token endpoint, for a self-hosted vendor; the vendor’s default otherwise.'),
    })
    .strict()
    .optional()
    .describe('The OAuth app a stored token came from, used to refresh it when it expires.');
}

/** A token field: a `${ENV_VAR}` reference, or left out to use the credentials store (`factory connect`). */
function token(secrets: SecretResolver, example: string) {
  return secretReference(secrets, example).optional();
}

/**
 * The role providers, each discriminated by `type`, then by `transport`: `direct` talks to the vendor's
 * API and takes its webhooks; `relayfile` reads and writes the vendor's data as files through the
 * tenant's `mount`. A new provider is one more member of a union; its options are the schema its
 * package exports, extended here only with where its secrets come from.
 */
export function providerSchemas(secrets: SecretResolver) {
  const linear = z.discriminatedUnion('transport', [
    linearConfigSchema
      .extend({
        type: z.literal('linear'),
        transport: z.literal('direct'),
        apiKey: token(secrets, 'LINEAR_API_KEY'),
        webhookSecret: secretReference(secrets, 'LINEAR_WEBHOOK_SECRET'),
        oauth: oauthClient(secrets, 'LINEAR'),
      })
      .strict(),
    z
      .object({
        type: z.literal('linear'),
        transport: z.literal('relayfile'),
        readyState: z
          .enum(WORK_ITEM_STATES)
          .default('todo')
          .describe('The state an issue must be in to be dispatched.'),
        readyLabels: names.default(['factory']).describe('Labels an issue must carry to be dispatched.'),
        stateIds: z
          .object({ dispatched: text, done: text })
          .strict()
          .describe('The workflow state ids the factory moves an issue to (relayfile writes ids).'),
      })
      .strict(),
  ]);

  const jira = jiraConfigSchema
    .extend({
      type: z.literal('jira'),
      transport: directOnly,
      token: token(secrets, 'JIRA_API_TOKEN').describe(
        'An API token (with `email`) or an OAuth token; left out, the credentials store’s `jira` token.',
      ),
      webhookSecret: secretReference(secrets, 'JIRA_WEBHOOK_SECRET'),
    })
    .strict();

  const githubIssues = githubIssuesConfigSchema
    .extend({
      type: z.literal('github-issues'),
      transport: directOnly,
      token: token(secrets, 'GITHUB_TOKEN'),
      webhookSecret: secretReference(secrets, 'GITHUB_WEBHOOK_SECRET'),
      oauth: oauthClient(secrets, 'GITHUB'),
    })
    .strict();

  const slack = z.discriminatedUnion('transport', [
    slackConfigSchema
      .extend({
        type: z.literal('slack'),
        transport: z.literal('direct'),
        botToken: token(secrets, 'SLACK_BOT_TOKEN'),
        signingSecret: secretReference(secrets, 'SLACK_SIGNING_SECRET'),
        botUserId: text.optional().describe('The bot’s user id, whose own messages are never answers.'),
        oauth: oauthClient(secrets, 'SLACK'),
      })
      .strict(),
    z
      .object({
        type: z.literal('slack'),
        transport: z.literal('relayfile'),
        channel: z
          .string()
          .regex(/^[A-Za-z0-9]+(?:__[A-Za-z0-9._+=@-]+)?$/, {
            error: 'expected a channel folder: the channel id, or <id>__<name> as relayfile names it',
          })
          .describe('The channel folder where questions are asked: <channel id>__<name> or the bare id.'),
        botUserId: text.optional().describe('The factory’s own user id, whose messages are not answers.'),
        trustedAuthors: mountTrustedAuthorsSchema
          .optional()
          .describe(
            'Who may answer: by default a person replying in the channel (the mount lists no members, and only members post there); `users` adds ids, `roles: []` keeps only them.',
          ),
      })
      .strict(),
  ]);

  const comments = commentsConfigSchema
    .extend({ type: z.literal('comments'), transport: directOnly })
    .strict()
    .describe('Ask on the work item itself, through the intake; replies come with the intake’s webhooks.');

  const github = z.discriminatedUnion('transport', [
    githubConfigSchema
      .extend({
        type: z.literal('github'),
        transport: z.literal('direct'),
        token: token(secrets, 'GITHUB_TOKEN'),
        webhookSecret: secretReference(secrets, 'GITHUB_WEBHOOK_SECRET'),
        oauth: oauthClient(secrets, 'GITHUB'),
      })
      .strict(),
    z
      .object({
        type: z.literal('github'),
        transport: z.literal('relayfile'),
        repositories: z
          .array(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/repo' }))
          .optional()
          .describe('The owner/repo names whose pull requests the factory follows; all when absent.'),
      })
      .strict(),
  ]);

  const gitlab = gitlabConfigSchema
    .extend({
      type: z.literal('gitlab'),
      transport: directOnly,
      token: token(secrets, 'GITLAB_TOKEN'),
      webhookSecret: secretReference(secrets, 'GITLAB_WEBHOOK_SECRET').describe(
        'The secret token GitLab sends in X-Gitlab-Token.',
      ),
    })
    .strict();

  const mount = z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('directory'),
        path: text.describe('A local folder in relayfile’s layout; relative to this file.'),
      })
      .strict(),
    z
      .object({
        type: z.literal('relayfile'),
        workspace: text,
        baseUrl: url,
        token: secretReference(secrets, 'RELAYFILE_TOKEN'),
        webhookSecret: secretReference(secrets, 'RELAYFILE_WEBHOOK_SECRET'),
      })
      .strict(),
  ]);

  return {
    intentProvider: z.discriminatedUnion('type', [linear, jira, githubIssues]),
    clarificationChannel: z.discriminatedUnion('type', [slack, comments]),
    outputTarget: z.discriminatedUnion('type', [github, gitlab]),
    mount,
    fleet: fleetSchema(secrets),
    triage: triageSchema(secrets),
  };
}
