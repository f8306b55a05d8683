// biome-ignore-all lint/suspicious/noTemplateCurlyInString: requirements show ${NAME} references literally.
import { createFactory, DefaultTaskTemplate, InMemoryStateStore, RuleTriage } from '@software-factory/sdk';
import { FakeFleet } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { IssueCommentClarificationChannel } from '../src/comments/clarification-channel.ts';
import { GithubOutputTarget } from '../src/github/output-target.ts';
import { GithubIssuesWorkItemProvider } from '../src/github-issues/work-item-provider.ts';
import { GitlabOutputTarget } from '../src/gitlab/output-target.ts';
import { JiraWorkItemProvider } from '../src/jira/work-item-provider.ts';
import { LinearWorkItemProvider } from '../src/linear/work-item-provider.ts';
import { buildTenant, parseTenantConfig, TenantConfigError } from '../src/registry.ts';
import { SlackClarificationChannel } from '../src/slack/clarification-channel.ts';

/** Every secret a provider defaults to, as the platform's environment would hold it. */
const ENV = {
  LINEAR_API_KEY: 'lin_api_never_logged',
  LINEAR_WEBHOOK_SECRET: 'linear-secret',
  JIRA_API_TOKEN: 'jira-token-never-logged',
  JIRA_WEBHOOK_SECRET: 'jira-secret',
  GITHUB_TOKEN: 'ghp_never_logged',
  GITHUB_WEBHOOK_SECRET: 'github-secret',
  SLACK_BOT_TOKEN: 'xoxb-never-logged',
  SLACK_SIGNING_SECRET: 'slack-secret',
  GITLAB_TOKEN: 'glpat-never-logged',
  GITLAB_WEBHOOK_SECRET: 'gitlab-secret',
};

const intakes = {
  linear: { type: 'linear' },
  jira: { type: 'jira', siteUrl: 'https://acme.atlassian.net', email: 'bot@acme.test' },
  'github-issues': { type: 'github-issues', repositories: [{ repository: 'acme/web' }] },
} as const;
const channels = {
  slack: { type: 'slack', channel: 'C0123456789' },
  comments: { type: 'comments' },
} as const;
const outputs = { github: { type: 'github' }, gitlab: { type: 'gitlab' } } as const;

const classes = {
  linear: LinearWorkItemProvider,
  jira: JiraWorkItemProvider,
  'github-issues': GithubIssuesWorkItemProvider,
  slack: SlackClarificationChannel,
  comments: IssueCommentClarificationChannel,
  github: GithubOutputTarget,
  gitlab: GitlabOutputTarget,
};

const combinations = Object.keys(intakes).flatMap((intake) =>
  Object.keys(channels).flatMap((channel) =>
    Object.keys(outputs).map((output) => [intake, channel, output] as const),
  ),
);

describe('a tenant assembled from config alone, through the provider registry', () => {
  it.each(combinations)(
    '%s + %s + %s: the right ports, and exactly the webhook sources they need',
    (intake, channel, output) => {
      const config = parseTenantConfig(
        {
          intentProvider: intakes[intake as keyof typeof intakes],
          clarificationChannel: channels[channel as keyof typeof channels],
          outputTarget: outputs[output as keyof typeof outputs],
        },
        { env: ENV },
      );
      const tenant = buildTenant(config, { tenant: 'acme' });
      expect(tenant.ports.workItems).toBeInstanceOf(classes[intake as keyof typeof classes]);
      expect(tenant.ports.clarifications).toBeInstanceOf(classes[channel as keyof typeof classes]);
      expect(tenant.ports.outputs).toBeInstanceOf(classes[output as keyof typeof classes]);
      expect(tenant.missing).toEqual([]);
      const factory = createFactory({
        tenant: 'acme',
        ports: {
          store: new InMemoryStateStore(),
          ...tenant.ports,
          fleet: new FakeFleet(),
          triage: new RuleTriage([]),
          template: new DefaultTaskTemplate(),
        },
      });
      const runtime = tenant.runtime(factory);
      const expected = [intake, ...(channel === 'slack' ? ['slack'] : []), output].sort();
      expect([...runtime.sources.keys()].sort()).toEqual(expected);
    },
  );
});

describe('bad tenant config', () => {
  const valid = {
    intentProvider: intakes.jira,
    clarificationChannel: channels.comments,
    outputTarget: outputs.gitlab,
  };

  it.each([
    [{ ...valid, intentProvider: { type: 'trello' } }, 'intentProvider.type'],
    [{ ...valid, clarificationChannel: { type: 'email' } }, 'clarificationChannel.type'],
    [{ ...valid, outputTarget: { type: 'bitbucket' } }, 'outputTarget.type'],
    [{ ...valid, intentProvider: { type: 'jira' } }, 'intentProvider.siteUrl'],
    [{ ...valid, outputTarget: { type: 'gitlab', baseUrl: 'not a url' } }, 'outputTarget.baseUrl'],
    [{ ...valid, clarificationChannel: { type: 'comments', channel: 'C1' } }, 'clarificationChannel'],
    [{ ...valid, fleet: 'x' }, 'fleet'],
    [{ intentProvider: intakes.jira, outputTarget: outputs.gitlab }, 'clarificationChannel'],
  ])('%j is refused naming %s', (config, field) => {
    expect(() => parseTenantConfig(config, { env: ENV })).toThrow(TenantConfigError);
    expect(() => parseTenantConfig(config, { env: ENV })).toThrow(
      new RegExp(`invalid tenant config: (.*; )?${field.replace(/\./g, '\\.')}`),
    );
  });

  it('a missing webhook secret is named when the tenant is built, as something to add before it takes work', () => {
    const { GITLAB_WEBHOOK_SECRET: _unset, ...env } = ENV;
    const tenant = buildTenant(parseTenantConfig(valid, { env }), { tenant: 'acme' });
    expect(tenant.missing).toEqual([
      {
        path: ['outputTarget', 'webhookSecret'],
        what: 'the secret GitLab signs its webhooks with',
        fix: 'set GITLAB_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
      },
    ]);
    expect(tenant.sources.map((source) => source.source)).toEqual(['jira']);
  });
});
