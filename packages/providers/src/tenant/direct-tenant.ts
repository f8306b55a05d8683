import type {
  Connectable,
  ConnectionReport,
  Factory,
  TenantRuntime,
  WebhookSource,
} from '@software-factory/sdk';
import type { GithubOutputTarget } from '../github/output-target.ts';
import { GithubWebhookSource } from '../github/webhook-source.ts';
import { LinearWebhookSource } from '../linear/webhook-source.ts';
import type { LinearWorkItemProvider } from '../linear/work-item-provider.ts';
import { cachedConnections } from '../shared/tenant-connections.ts';
import type { SlackClarificationChannel } from '../slack/clarification-channel.ts';
import { SlackWebhookSource } from '../slack/webhook-source.ts';

export interface DirectTenantOptions {
  /** The tenant's factory, built with these same providers as its ports. */
  factory: Factory;
  linear: { provider: LinearWorkItemProvider; webhookSecret: string };
  slack: { channel: SlackClarificationChannel; signingSecret: string; botUserId?: string };
  /** The target's `feedback` config says which review feedback on its pull requests goes back to the agent. */
  github: { target: GithubOutputTarget; webhookSecret: string };
  /**
   * How long one round of connection checks is trusted. The app asks before every webhook; three API
   * calls per delivery would be slow and burn rate limits. Default one minute.
   */
  connectionTtlMs?: number;
}

/**
 * One tenant wired to Linear, Slack and GitHub directly: their webhooks in at
 * `/t/<tenant>/webhooks/linear|slack|github`, their APIs out. For any other combination (Jira, GitHub
 * Issues, GitLab, comments, relayfile) see `buildTenant` and the provider registry.
 */
export function directTenantRuntime(options: DirectTenantOptions): TenantRuntime {
  const { factory, linear, slack, github } = options;
  const sources: WebhookSource[] = [
    new LinearWebhookSource({ secret: linear.webhookSecret, provider: linear.provider }),
    new SlackWebhookSource({
      signingSecret: slack.signingSecret,
      ...(slack.channel.channel ? { channel: slack.channel.channel } : {}),
      ...(slack.botUserId ? { botUserId: slack.botUserId } : {}),
      ...(slack.channel.trustedAuthors ? { trustedAuthors: slack.channel.trustedAuthors } : {}),
      members: slack.channel.members,
    }),
    new GithubWebhookSource({
      secret: github.webhookSecret,
      feedback: github.target.feedback,
    }),
  ];
  const roles: [Connectable, ConnectionReport['role']][] = [
    [linear.provider, 'intake'],
    [slack.channel, 'clarification'],
    [github.target, 'output'],
  ];
  return {
    id: factory.tenant,
    factory,
    sources: new Map(sources.map((source) => [source.source, source])),
    connections: cachedConnections(factory, roles, options.connectionTtlMs ?? 60_000),
  };
}
