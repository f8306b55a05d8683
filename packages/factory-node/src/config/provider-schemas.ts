import { githubConfigSchema, linearConfigSchema, slackConfigSchema } from 'factory-providers';
import { WORK_ITEM_STATES } from 'factory-sdk';
import { z } from 'zod';
import { type SecretResolver, secretReference } from './secret-reference.ts';

const text = z.string().min(1);
const url = z.url({ protocol: /^https?$/ });
const names = z.array(text);

/**
 * The role providers, each discriminated by `type`, then by `transport`: `direct` talks to the vendor's
 * API and takes its webhooks; `relayfile` reads and writes the vendor's data as files through the
 * tenant's `mount`. New types (e.g. `comments` for clarification) are one more member of a union.
 */
export function providerSchemas(secrets: SecretResolver) {
  // The direct providers' own option schemas, extended with where their secrets come from.
  const linear = z.discriminatedUnion('transport', [
    linearConfigSchema
      .extend({
        type: z.literal('linear'),
        transport: z.literal('direct'),
        apiKey: secretReference(secrets, 'LINEAR_API_KEY'),
        webhookSecret: secretReference(secrets, 'LINEAR_WEBHOOK_SECRET'),
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

  const slack = z.discriminatedUnion('transport', [
    slackConfigSchema
      .extend({
        type: z.literal('slack'),
        transport: z.literal('direct'),
        botToken: secretReference(secrets, 'SLACK_BOT_TOKEN'),
        signingSecret: secretReference(secrets, 'SLACK_SIGNING_SECRET'),
        botUserId: text.optional().describe('The bot’s user id, whose own messages are never answers.'),
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
      })
      .strict(),
  ]);

  const github = z.discriminatedUnion('transport', [
    githubConfigSchema
      .extend({
        type: z.literal('github'),
        transport: z.literal('direct'),
        token: secretReference(secrets, 'GITHUB_TOKEN'),
        webhookSecret: secretReference(secrets, 'GITHUB_WEBHOOK_SECRET'),
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

  const fleet = z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('local'),
        command: z
          .union([text, z.array(text).min(1)])
          .describe('The agent command: a shell string, or an argv list run without a shell.'),
        repository: text.default('.').describe('The git repository agents work in; relative to this file.'),
        stateDir: text.optional().describe('Where agent worktrees, logs and the registry live.'),
        passEnv: z
          .array(
            z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }),
          )
          .default([])
          .describe('Names of the factory’s environment variables the agent also gets (e.g. its API key).'),
        env: z
          .record(
            z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
              error: 'is not an environment variable name (letters, digits and _, not starting with a digit)',
            }),
            z.string(),
          )
          .default({})
          .describe('Extra environment variables for the agent (not secrets: this file is not secret).'),
      })
      .strict(),
  ]);

  const triage = z.discriminatedUnion('type', [z.object({ type: z.literal('rules') }).strict()]);

  return {
    intentProvider: z.discriminatedUnion('type', [linear]),
    clarificationChannel: z.discriminatedUnion('type', [slack]),
    outputTarget: z.discriminatedUnion('type', [github]),
    mount,
    fleet,
    triage,
  };
}
