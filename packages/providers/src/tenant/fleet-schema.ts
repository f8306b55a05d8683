import { durationSchema } from '@software-factory/sdk';
import * as z from 'zod';
import { unionMessage } from '../registry/role-schema.ts';
import { type SecretResolver, secretReference } from '../registry/secrets.ts';

export const FLEET_TYPES = ['local', 'http', 'github-actions', 'agent-relay'] as const;

const text = z.string().min(1);
const url = z.url({ protocol: /^https?$/ });
const plainName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a plain name like "claude"' });

/** Where agents run: on this machine, or a remote fleet (`@software-factory/fleets`) that reports exits back. */
export function fleetSchema(secrets: SecretResolver) {
  const local = z
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
    .strict();

  const http = z
    .object({
      type: z.literal('http'),
      url: url.describe('The team’s fleet endpoint; the factory calls POST <url>/agents and so on.'),
      secret: secretReference(secrets, 'FLEET_SECRET').describe(
        'The shared HMAC secret signing requests both ways; callbacks arrive at /t/<tenant>/webhooks/fleet.',
      ),
      timeout: durationSchema.optional().describe('How long one request may take (default 15s).'),
    })
    .strict();

  const githubActions = z
    .object({
      type: z.literal('github-actions'),
      token: secretReference(secrets, 'GITHUB_ACTIONS_TOKEN')
        .optional()
        .describe('A token with actions:write; left out, the credentials store’s `github` token.'),
      workflow: text.default('factory-agent.yml').describe('The workflow file in the target repository.'),
      ref: text.optional().describe('The git ref the workflow runs from (default main).'),
      repository: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/repo' })
        .optional()
        .describe('Run every agent in this repository instead of the route’s.'),
      baseUrl: url.optional().describe('The REST API; GitHub Enterprise Server uses https://HOST/api/v3.'),
      webhookSecret: secretReference(secrets, 'GITHUB_WEBHOOK_SECRET')
        .optional()
        .describe(
          'The secret of the workflow_run webhook at /t/<tenant>/webhooks/github-actions; without it exits are polled on the tick.',
        ),
    })
    .strict();

  const agentRelay = z
    .object({
      type: z.literal('agent-relay'),
      workspaceKey: secretReference(secrets, 'RELAY_WORKSPACE_KEY'),
      baseUrl: url.optional().describe('A self-hosted relay API; Agent Relay cloud by default.'),
      cli: plainName.optional().describe('The harness nodes start, e.g. claude (spawn:<cli> placement).'),
      placeByRepository: z.boolean().default(true),
      dispatcherName: plainName.optional(),
      dispatcherToken: secretReference(secrets, 'RELAY_DISPATCHER_TOKEN').optional(),
      channel: text.optional(),
      model: text.optional(),
    })
    .strict();

  return z
    .discriminatedUnion('type', [local, http, githubActions, agentRelay], {
      error: (issue) => unionMessage(issue, 'type', FLEET_TYPES),
    })
    .describe('Where agents run; needed by the commands that run work (`factory start`, deploys).');
}

export type FleetConfig = z.output<ReturnType<typeof fleetSchema>>;
