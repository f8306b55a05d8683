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
    command: z.union([text, z.array(text).check(z.minLength(1))]).check(z.describe('#fleet.command')),
    repository: z._default(text, '.').check(z.describe('#fleet.repository')),
    stateDir: z.optional(text).check(z.describe('#fleet.stateDir')),
    passEnv: z
      ._default(
        z.array(
          z
            .string()
            .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })),
        ),
        [],
      )
      .check(z.describe('#fleet.passEnv')),
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
      .check(z.describe('#fleet.env')),
  });

  const http = z.strictObject({
    type: z.literal('http'),
    url: url.check(z.describe('#fleet.url')),
    secret: secretReference(secrets, 'FLEET_SECRET').check(z.describe('#fleet.secret')),
    timeout: z.optional(durationSchema).check(z.describe('#fleet.timeout')),
  });

  const githubActions = z
    .strictObject({
      type: z.literal('github-actions'),
      token: z.optional(secretReference(secrets, 'GITHUB_ACTIONS_TOKEN')).check(z.describe('#fleet.token')),
      app: githubAppSchema(secrets),
      workflow: z._default(text, 'factory-agent.yml').check(z.describe('#fleet.workflow')),
      ref: z.optional(text).check(z.describe('#fleet.ref')),
      repository: z
        .optional(
          z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/repo' })),
        )
        .check(z.describe('#fleet.githubActions.repository')),
      baseUrl: z.optional(url).check(z.describe('#fleet.baseUrl')),
      webhookSecret: z
        .optional(secretReference(secrets, 'GITHUB_WEBHOOK_SECRET'))
        .check(z.describe('#fleet.webhookSecret')),
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
    baseUrl: z.optional(url).check(z.describe('#fleet.agentRelay.baseUrl')),
    cli: z.optional(plainName).check(z.describe('#fleet.cli')),
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
    .check(z.describe('#fleet'));
}

export type FleetConfig = z.output<ReturnType<typeof fleetSchema>>;
