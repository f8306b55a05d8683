import type { Connectable, ConnectionReport, Factory, TenantRuntime, WebhookSource } from 'factory-sdk';
import type { GithubOutputTarget } from './github-output-target.ts';
import { GithubWebhookSource } from './github-webhook-source.ts';
import { LinearWebhookSource } from './linear-webhook-source.ts';
import type { LinearWorkItemProvider } from './linear-work-item-provider.ts';
import { errorMessage } from './provider-errors.ts';
import type { SlackClarificationChannel } from './slack-clarification-channel.ts';
import { SlackWebhookSource } from './slack-webhook-source.ts';

export interface DirectTenantOptions {
  /** The tenant's factory, built with these same providers as its ports. */
  factory: Factory;
  linear: { provider: LinearWorkItemProvider; webhookSecret: string };
  slack: { channel: SlackClarificationChannel; signingSecret: string; botUserId?: string };
  github: { target: GithubOutputTarget; webhookSecret: string };
  /**
   * How long one round of connection checks is trusted. The app asks before every webhook; three API
   * calls per delivery would be slow and burn rate limits. Default one minute.
   */
  connectionTtlMs?: number;
}

/**
 * One tenant wired to Linear, Slack and GitHub directly: their webhooks in at
 * `/t/<tenant>/webhooks/linear|slack|github`, their APIs out.
 */
export function directTenantRuntime(options: DirectTenantOptions): TenantRuntime {
  const { factory, linear, slack, github } = options;
  const ttl = options.connectionTtlMs ?? 60_000;
  const sources: WebhookSource[] = [
    new LinearWebhookSource({ secret: linear.webhookSecret, provider: linear.provider }),
    new SlackWebhookSource({
      signingSecret: slack.signingSecret,
      channel: slack.channel.channel,
      ...(slack.botUserId ? { botUserId: slack.botUserId } : {}),
    }),
    new GithubWebhookSource({ secret: github.webhookSecret }),
  ];
  const roles: [Connectable, ConnectionReport['role']][] = [
    [linear.provider, 'intake'],
    [slack.channel, 'clarification'],
    [github.target, 'output'],
  ];
  let cached: { at: number; reports: Promise<ConnectionReport[]> } | undefined;

  return {
    id: factory.tenant,
    factory,
    sources: new Map(sources.map((source) => [source.source, source])),
    connections() {
      const now = factory.ports.clock.now();
      if (!cached || now - cached.at >= ttl) {
        cached = { at: now, reports: Promise.all(roles.map(([port, role]) => report(port, role))) };
      }
      return cached.reports;
    },
  };
}

async function report(port: Connectable, role: ConnectionReport['role']): Promise<ConnectionReport> {
  try {
    return { provider: port.provider, role, status: await port.checkConnection() };
  } catch (error) {
    return { provider: port.provider, role, status: { state: 'error', message: errorMessage(error) } };
  }
}
