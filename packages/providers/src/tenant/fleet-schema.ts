import { durationSchema } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { githubAppSchema } from '../github/app-config.ts';
import { unionMessage } from '../registry/role-schema.ts';
import { type SecretResolver, secretReference } from '../registry/secrets.ts';

export const FLEET_TYPES = ['local', 'http', 'github-actions', 'agent-relay'] as const;

const text = z.string().check(z.minLength(1));
const url = z.url({ protocol: /^https?$/ });
const plainName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a plain name like "claude"' }));

/** Where agents run: on this machine, or a remote fleet (`@software-factory/fleets`) that reports exits back. */
export function fleetSchema(secrets: SecretResolver) {
  const local = z.strictObject({
    type: z.literal('local'),
    command: z
      .union([text, z.array(text).check(z.minLength(1))])
      .check(z.describe('The agent command: a shell string, or an argv list run without a shell.')),
    repository: z
      ._default(text, '.')
      .check(z.describe('The git repository agents work in; relative to this file.')),
    stateDir: z.optional(text).check(z.describe('Where agent worktrees, logs and the registry live.')),
    passEnv: z
      ._default(
        z.array(
          z
            .string()
            .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })),
        ),
        [],
      )
      .check(
        z.describe('Names of the factory’s environment variables the agent also gets (e.g. its API key).'),
      ),
    env: z
      ._default(
        z.record(
          z.string().check(
            z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
              error: 'is not an environment variable name (letters, digits and _, not starting with a digit)',
            }),
          ),
          z.string(),
        ),
        {},
      )
      .check(z.describe('Extra environment variables for the agent (not secrets: this file is not secret).')),
  });

  const http = z.strictObject({
    type: z.literal('http'),
    url: url.check(z.describe('The team’s fleet endpoint; the factory calls POST <url>/agents and so on.')),
    secret: secretReference(secrets, 'FLEET_SECRET').check(
      z.describe(
        'The shared HMAC secret signing requests both ways; callbacks arrive at /t/<tenant>/webhooks/fleet.',
      ),
    ),
    timeout: z.optional(durationSchema).check(z.describe('How long one request may take (default 15s).')),
  });

  const githubActions = z
    .strictObject({
      type: z.literal('github-actions'),
      token: z
        .optional(secretReference(secrets, 'GITHUB_ACTIONS_TOKEN'))
        .check(
          z.describe(
            'A token with actions:write; left out (and no `app`), the credentials store’s `github` token.',
          ),
        ),
      app: githubAppSchema(secrets),
      workflow: z
        ._default(text, 'factory-agent.yml')
        .check(z.describe('The workflow file in the target repository.')),
      ref: z.optional(text).check(z.describe('The git ref the workflow runs from (default main).')),
      repository: z
        .optional(
          z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/repo' })),
        )
        .check(z.describe('Run every agent in this repository instead of the route’s.')),
      baseUrl: z
        .optional(url)
        .check(z.describe('The REST API; GitHub Enterprise Server uses https://HOST/api/v3.')),
      webhookSecret: z
        .optional(secretReference(secrets, 'GITHUB_WEBHOOK_SECRET'))
        .check(
          z.describe(
            'The secret of the workflow_run webhook at /t/<tenant>/webhooks/github-actions; without it exits are polled on the tick.',
          ),
        ),
    })
    .check(
      z.refine(
        (fleet) => fleet.token === undefined || fleet.app === undefined,
        'give fleet.token or fleet.app (a GitHub App), not both',
      ),
    );

  const agentRelay = z.strictObject({
    type: z.literal('agent-relay'),
    workspaceKey: secretReference(secrets, 'RELAY_WORKSPACE_KEY'),
    baseUrl: z.optional(url).check(z.describe('A self-hosted relay API; Agent Relay cloud by default.')),
    cli: z
      .optional(plainName)
      .check(z.describe('The harness nodes start, e.g. claude (spawn:<cli> placement).')),
    placeByRepository: z._default(z.boolean(), true),
    dispatcherName: z.optional(plainName),
    dispatcherToken: z.optional(secretReference(secrets, 'RELAY_DISPATCHER_TOKEN')),
    channel: z.optional(text),
    model: z.optional(text),
  });

  return z
    .discriminatedUnion('type', [local, http, githubActions, agentRelay], {
      error: (issue) => unionMessage(issue, 'type', FLEET_TYPES),
    })
    .check(z.describe('Where agents run; needed by the commands that run work (`factory start`, deploys).'));
}

export type FleetConfig = z.output<ReturnType<typeof fleetSchema>>;
