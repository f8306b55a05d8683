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
  const linearOptions = {
    type: z.literal('linear'),
    readyStates: names
      .default(['Todo'])
      .describe('Workflow state names (or types such as "unstarted") in which an issue may be dispatched.'),
    requiredLabels: names.default([]).describe('Labels an issue must carry to be dispatched.'),
    states: z
      .object({
        dispatched: text.default('In Progress'),
        done: text.default('Done'),
      })
      .strict()
      .default({ dispatched: 'In Progress', done: 'Done' })
      .describe('The workflow state names the factory moves an issue to.'),
  };
  const linear = z.discriminatedUnion('transport', [
    z
      .object({
        ...linearOptions,
        transport: z.literal('direct'),
        apiKey: secretReference(secrets, 'LINEAR_API_KEY'),
        webhookSecret: secretReference(secrets, 'LINEAR_WEBHOOK_SECRET'),
        apiUrl: url.optional().describe('The GraphQL endpoint; defaults to Linear’s.'),
      })
      .strict(),
    z.object({ ...linearOptions, transport: z.literal('relayfile') }).strict(),
  ]);

  const slackOptions = {
    type: z.literal('slack'),
    channel: text.describe('The channel where clarification threads are opened (id, e.g. C0123456789).'),
  };
  const slack = z.discriminatedUnion('transport', [
    z
      .object({
        ...slackOptions,
        transport: z.literal('direct'),
        botToken: secretReference(secrets, 'SLACK_BOT_TOKEN'),
        signingSecret: secretReference(secrets, 'SLACK_SIGNING_SECRET'),
        apiUrl: url.optional().describe('The Web API base URL; defaults to Slack’s.'),
      })
      .strict(),
    z.object({ ...slackOptions, transport: z.literal('relayfile') }).strict(),
  ]);

  const github = z.discriminatedUnion('transport', [
    z
      .object({
        type: z.literal('github'),
        transport: z.literal('direct'),
        token: secretReference(secrets, 'GITHUB_TOKEN'),
        webhookSecret: secretReference(secrets, 'GITHUB_WEBHOOK_SECRET'),
        apiUrl: url.optional().describe('The REST API base URL; defaults to GitHub’s.'),
      })
      .strict(),
    z.object({ type: z.literal('github'), transport: z.literal('relayfile') }).strict(),
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
