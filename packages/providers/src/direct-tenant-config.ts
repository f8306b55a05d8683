import type {
  ClarificationChannel,
  Connectable,
  ConnectionReport,
  Factory,
  Logger,
  OutputTarget,
  TenantRuntime,
  WebhookSource,
  WorkItemProvider,
} from '@software-factory/sdk';
import { z } from 'zod';
import { GithubIssuesWebhookSource } from './github-issues-webhook-source.ts';
import {
  GithubIssuesWorkItemProvider,
  githubIssuesConfigSchema,
} from './github-issues-work-item-provider.ts';
import { GithubOutputTarget, githubConfigSchema } from './github-output-target.ts';
import { GithubWebhookSource } from './github-webhook-source.ts';
import { GitlabOutputTarget, gitlabConfigSchema } from './gitlab-output-target.ts';
import { GitlabWebhookSource } from './gitlab-webhook-source.ts';
import type { Fetch, RetryOptions } from './http-retry.ts';
import {
  commentsConfigSchema,
  IssueCommentClarificationChannel,
} from './issue-comment-clarification-channel.ts';
import { JiraWebhookSource } from './jira-webhook-source.ts';
import { JiraWorkItemProvider, jiraConfigSchema } from './jira-work-item-provider.ts';
import { LinearCommentReplies } from './linear-comment-replies.ts';
import { LinearWebhookSource } from './linear-webhook-source.ts';
import { LinearWorkItemProvider, linearConfigSchema } from './linear-work-item-provider.ts';
import { parseConfig } from './provider-config.ts';
import type { TokenSource } from './provider-credentials.ts';
import { SlackClarificationChannel, slackConfigSchema } from './slack-clarification-channel.ts';
import { SlackWebhookSource } from './slack-webhook-source.ts';
import { cachedConnections } from './tenant-connections.ts';

/**
 * Which provider plays which role, by `type`, with each provider's own options beside it. Secrets are not
 * here: they come from `DirectSecrets`, so this can live in a file that is not secret.
 */
export const directTenantConfigSchema = z
  .object({
    intentProvider: z.discriminatedUnion('type', [
      linearConfigSchema.extend({ type: z.literal('linear') }),
      jiraConfigSchema.extend({ type: z.literal('jira') }),
      githubIssuesConfigSchema.extend({ type: z.literal('github-issues') }),
    ]),
    clarificationChannel: z.discriminatedUnion('type', [
      slackConfigSchema.extend({ type: z.literal('slack'), botUserId: z.string().min(1).optional() }),
      commentsConfigSchema.extend({ type: z.literal('comments') }),
    ]),
    outputTarget: z.discriminatedUnion('type', [
      githubConfigSchema.extend({ type: z.literal('github') }),
      gitlabConfigSchema.extend({ type: z.literal('gitlab') }),
    ]),
  })
  .strict();
export type DirectTenantConfig = z.input<typeof directTenantConfigSchema>;

/** Where the tenant's secrets come from; nothing here is ever logged. */
export interface DirectSecrets {
  /** The API token of a provider, by its config name (`provider`, e.g. `jira`). */
  token(provider: string): TokenSource | undefined;
  /** The webhook secret of a source: `linear`, `slack`, `github`, `jira`, `github-issues`, `gitlab`. */
  webhookSecret(source: string): string | undefined;
}

export interface DirectProviderOptions {
  secrets: DirectSecrets;
  fetch?: Fetch;
  retry?: RetryOptions;
  logger?: Logger;
}

/** The three role ports of a tenant, and the runtime that mounts their webhook sources once the factory exists. */
export interface DirectProviders {
  workItems: WorkItemProvider;
  clarifications: ClarificationChannel;
  outputs: OutputTarget;
  /** The tenant's runtime for `createFactoryApp`: webhook sources by name, cached connection checks. */
  tenant(factory: Factory, options?: { connectionTtlMs?: number }): TenantRuntime;
}

/**
 * Builds a tenant's providers from config alone: any intake (`linear`, `jira`, `github-issues`) with any
 * clarification channel (`slack`, `comments`) and any output target (`github`, `gitlab`). A bad field or a
 * missing webhook secret throws one error that names it.
 */
export function directProviders(config: unknown, options: DirectProviderOptions): DirectProviders {
  const parsed = parseConfig(directTenantConfigSchema, config, 'tenant providers');
  const transport = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  };
  const tokenOf = (provider: string) => {
    const token = options.secrets.token(provider);
    return token !== undefined ? { token } : {};
  };
  const secretOf = (source: string, role: string): string => {
    const secret = options.secrets.webhookSecret(source);
    if (!secret)
      throw new Error(
        `invalid tenant providers config: ${role}: no webhook secret for the ${source} webhook source`,
      );
    return secret;
  };
  const comments = parsed.clarificationChannel.type === 'comments';
  // Who may answer in the comments: checked by the intake's source against the intake's roles.
  const commentTrust =
    parsed.clarificationChannel.type === 'comments' && parsed.clarificationChannel.trustedAuthors
      ? { trustedAuthors: parsed.clarificationChannel.trustedAuthors }
      : {};

  const intake = buildIntake(parsed.intentProvider);
  const channel: { port: ClarificationChannel; source?: () => WebhookSource } =
    parsed.clarificationChannel.type === 'slack'
      ? slackChannel(parsed.clarificationChannel)
      : {
          port: new IssueCommentClarificationChannel({
            provider: parsed.clarificationChannel.provider,
            workItems: intake.port,
          }),
        };
  const output = buildOutput(parsed.outputTarget);
  // Every source is built now, so a missing secret fails at start-up, not at the first delivery.
  const sources = [intake.source(), channel.source?.(), output.source()].filter(
    (source): source is WebhookSource => source !== undefined,
  );

  return {
    workItems: intake.port,
    clarifications: channel.port,
    outputs: output.port,
    tenant(factory, tenantOptions = {}) {
      const roles: [Connectable, ConnectionReport['role']][] = [
        [intake.port, 'intake'],
        [channel.port, 'clarification'],
        [output.port, 'output'],
      ];
      return {
        id: factory.tenant,
        factory,
        sources: new Map(sources.map((source) => [source.source, source])),
        connections: cachedConnections(factory, roles, tenantOptions.connectionTtlMs ?? 60_000),
      };
    },
  };

  function buildIntake(config: z.output<typeof directTenantConfigSchema>['intentProvider']) {
    const role = 'intentProvider';
    switch (config.type) {
      case 'linear': {
        const { type: _type, ...rest } = config;
        const port = new LinearWorkItemProvider({ ...rest, ...tokenOf(rest.provider), ...transport });
        return {
          port,
          source: () =>
            new LinearWebhookSource({
              secret: secretOf('linear', role),
              provider: port,
              ...(comments
                ? { commentReplies: new LinearCommentReplies({ client: port.client, ...commentTrust }) }
                : {}),
            }),
        };
      }
      case 'jira': {
        const { type: _type, ...rest } = config;
        const port = new JiraWorkItemProvider({ ...rest, ...tokenOf(rest.provider), ...transport });
        return {
          port,
          source: () =>
            new JiraWebhookSource({
              secret: secretOf('jira', role),
              provider: port,
              commentReplies: comments,
              ...commentTrust,
            }),
        };
      }
      case 'github-issues': {
        const { type: _type, ...rest } = config;
        const port = new GithubIssuesWorkItemProvider({
          ...rest,
          ...tokenOf(rest.provider),
          ...transport,
          ...(options.logger ? { logger: options.logger } : {}),
        });
        return {
          port,
          source: () =>
            new GithubIssuesWebhookSource({
              secret: secretOf('github-issues', role),
              provider: port,
              commentReplies: comments,
              ...commentTrust,
            }),
        };
      }
    }
  }

  function slackChannel(
    config: Extract<z.output<typeof directTenantConfigSchema>['clarificationChannel'], { type: 'slack' }>,
  ) {
    const { type: _type, botUserId, ...rest } = config;
    const port = new SlackClarificationChannel({ ...rest, ...tokenOf(rest.provider), ...transport });
    return {
      port,
      source: () =>
        new SlackWebhookSource({
          signingSecret: secretOf('slack', 'clarificationChannel'),
          channel: port.channel,
          ...(botUserId ? { botUserId } : {}),
          ...(port.trustedAuthors ? { trustedAuthors: port.trustedAuthors } : {}),
          members: port.members,
        }),
    };
  }

  function buildOutput(config: z.output<typeof directTenantConfigSchema>['outputTarget']) {
    const { type, ...rest } = config;
    if (type === 'github') {
      const port = new GithubOutputTarget({
        ...rest,
        ...tokenOf(rest.provider),
        ...transport,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      return { port, source: () => new GithubWebhookSource({ secret: secretOf('github', 'outputTarget') }) };
    }
    const port = new GitlabOutputTarget({ ...rest, ...tokenOf(rest.provider), ...transport });
    return { port, source: () => new GitlabWebhookSource({ secret: secretOf('gitlab', 'outputTarget') }) };
  }
}
