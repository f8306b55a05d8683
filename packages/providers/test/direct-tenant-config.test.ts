import { createFactory, DefaultTaskTemplate, InMemoryStateStore, RuleTriage } from '@software-factory/sdk';
import { FakeFleet } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { directProviders } from '../src/direct-tenant-config.ts';
import { GithubIssuesWorkItemProvider } from '../src/github-issues-work-item-provider.ts';
import { GithubOutputTarget } from '../src/github-output-target.ts';
import { GitlabOutputTarget } from '../src/gitlab-output-target.ts';
import { IssueCommentClarificationChannel } from '../src/issue-comment-clarification-channel.ts';
import { JiraWorkItemProvider } from '../src/jira-work-item-provider.ts';
import { LinearWorkItemProvider } from '../src/linear-work-item-provider.ts';
import { SlackClarificationChannel } from '../src/slack-clarification-channel.ts';

const secrets = {
  token: () => 'token-never-logged',
  webhookSecret: (source: string) => `${source}-secret`,
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

describe('a tenant assembled from config alone', () => {
  it.each(combinations)(
    '%s + %s + %s: the right ports, and exactly the webhook sources they need',
    (intake, channel, output) => {
      const providers = directProviders(
        {
          intentProvider: intakes[intake as keyof typeof intakes],
          clarificationChannel: channels[channel as keyof typeof channels],
          outputTarget: outputs[output as keyof typeof outputs],
        },
        { secrets },
      );
      expect(providers.workItems).toBeInstanceOf(classes[intake as keyof typeof classes]);
      expect(providers.clarifications).toBeInstanceOf(classes[channel as keyof typeof classes]);
      expect(providers.outputs).toBeInstanceOf(classes[output as keyof typeof classes]);
      const factory = createFactory({
        tenant: 'acme',
        ports: {
          store: new InMemoryStateStore(),
          workItems: providers.workItems,
          clarifications: providers.clarifications,
          outputs: providers.outputs,
          fleet: new FakeFleet(),
          triage: new RuleTriage([]),
          template: new DefaultTaskTemplate(),
        },
      });
      const tenant = providers.tenant(factory);
      const expected = [intake, ...(channel === 'slack' ? ['slack'] : []), output].sort();
      expect([...tenant.sources.keys()].sort()).toEqual(expected);
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
    expect(() => directProviders(config, { secrets })).toThrow(
      new RegExp(`invalid tenant providers config: .*${field.replace(/\./g, '\\.')}`),
    );
  });

  it('a missing webhook secret is named at build time, not at the first delivery', () => {
    expect(() =>
      directProviders(valid, {
        secrets: { ...secrets, webhookSecret: (source) => (source === 'gitlab' ? undefined : 'x') },
      }),
    ).toThrow(
      'invalid tenant providers config: outputTarget: no webhook secret for the gitlab webhook source',
    );
  });
});
