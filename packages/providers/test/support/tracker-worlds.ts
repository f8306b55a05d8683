import type { OpenedWorkItemProvider } from '@software-factory/sdk/testing';
import { GithubIssuesWorkItemProvider } from '../../src/github-issues/work-item-provider.ts';
import { adfToText, isAdfDocument, textToAdf } from '../../src/jira/atlassian-document.ts';
import { JiraWorkItemProvider } from '../../src/jira/work-item-provider.ts';
import { LinearWorkItemProvider } from '../../src/linear/work-item-provider.ts';
import type { TokenSource } from '../../src/shared/provider-credentials.ts';
import { noWaiting, removableToken } from './conformance.ts';
import { githubExample } from './fixtures.ts';
import { GithubIssuesServer, type IssueJson } from './github-issues-server.ts';
import { JiraServer } from './jira-server.ts';
import { defaultStates, LinearServer } from './linear-server.ts';

// Each tracker on loopback, holding one item ready for an agent, as the conformance suites open it.

export const LINEAR_TOKEN = 'lin_oauth_test_token';
export const JIRA_TOKEN = 'jira-api-token-test';
export const GITHUB_ISSUES_TOKEN = 'ghp_issues_test_token';
export const GITHUB_ISSUES_REPOSITORY = 'Codertocat/Hello-World';

/** Linear with ENG-42 in Todo, labelled factory. */
export async function linearWithReadyIssue(): Promise<LinearServer> {
  const server = await new LinearServer().start();
  server.addTeam({ id: 'team-eng', key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
  server.labels.set('label-factory', { id: 'label-factory', name: 'factory', teamId: 'team-eng' });
  server.labels.set('label-wip', { id: 'label-wip', name: 'factory:in-progress', teamId: 'team-eng' });
  server.addIssue({
    id: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
    identifier: 'ENG-42',
    number: 42,
    title: 'Export as JSON',
    description: 'The export command should print JSON when --json is passed.',
    url: 'https://linear.app/acme/issue/ENG-42/export-as-json',
    updatedAt: '2026-01-01T10:00:00.000Z',
    priority: 2,
    stateId: 'eng-todo',
    teamId: 'team-eng',
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
  return server;
}

export function linearProvider(server: LinearServer, token: TokenSource = LINEAR_TOKEN) {
  return new LinearWorkItemProvider({
    apiUrl: server.url,
    token,
    retry: noWaiting,
    markers: { inProgress: 'factory:in-progress' },
  });
}

export async function openLinearTracker(): Promise<OpenedWorkItemProvider> {
  const server = await linearWithReadyIssue();
  const token = removableToken(LINEAR_TOKEN);
  return {
    provider: linearProvider(server, token.source),
    readyItem: 'ENG-42',
    absentItem: 'ENG-999',
    writes: () => server.updateInputs.length + server.comments.size,
    comments: () => [...server.comments.values()].map((comment) => comment.body),
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.tokens.clear() },
    close: () => server.stop(),
  };
}

/** Jira with TES-41 in To Do, labelled factory. */
export async function jiraWithReadyIssue(): Promise<JiraServer> {
  const server = await new JiraServer().start();
  server.addIssue({
    id: '10040',
    key: 'TES-41',
    summary: 'Export the report as JSON',
    description: textToAdf('The export command should print JSON.'),
    labels: ['factory'],
    statusId: '10001',
    projectId: '10000',
    projectKey: 'TES',
    issueTypeId: '10001',
    updated: '2026-01-01T11:00:00.000+0000',
  });
  return server;
}

export function jiraProvider(server: JiraServer, token: TokenSource = JIRA_TOKEN) {
  return new JiraWorkItemProvider({
    siteUrl: 'https://acme.atlassian.net',
    apiUrl: server.url,
    email: 'factory@acme.test',
    token,
    retry: noWaiting,
    markers: { inProgress: 'factory-in-progress' },
  });
}

export async function openJiraTracker(): Promise<OpenedWorkItemProvider> {
  const server = await jiraWithReadyIssue();
  const token = removableToken(JIRA_TOKEN);
  return {
    provider: jiraProvider(server, token.source),
    readyItem: 'TES-41',
    absentItem: 'TES-999',
    writes: () => server.transitionsPosted.length + server.edits.length + server.comments.length,
    comments: () =>
      server
        .commentsOn('TES-41')
        .map((comment) => (isAdfDocument(comment.body) ? adfToText(comment.body) : String(comment.body))),
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.basicUsers.clear() },
    close: () => server.stop(),
  };
}

/** GitHub with the `issues opened` example's issue #1, labelled factory. */
export async function githubWithReadyIssue(): Promise<GithubIssuesServer> {
  const server = await new GithubIssuesServer().start();
  const opened = githubExample('issues', 'opened').issue as IssueJson;
  server.addIssue(GITHUB_ISSUES_REPOSITORY, { ...opened, labels: [{ name: 'factory' }] });
  return server;
}

export function githubIssuesProvider(server: GithubIssuesServer, token: TokenSource = GITHUB_ISSUES_TOKEN) {
  return new GithubIssuesWorkItemProvider({
    baseUrl: server.url,
    token,
    repositories: [{ repository: GITHUB_ISSUES_REPOSITORY }],
    retry: noWaiting,
  });
}

export async function openGithubIssuesTracker(): Promise<OpenedWorkItemProvider> {
  const server = await githubWithReadyIssue();
  const token = removableToken(GITHUB_ISSUES_TOKEN);
  return {
    provider: githubIssuesProvider(server, token.source),
    readyItem: `${GITHUB_ISSUES_REPOSITORY}#1`,
    absentItem: `${GITHUB_ISSUES_REPOSITORY}#99`,
    writes: () => server.requests.filter((request) => !request.startsWith('GET ')).length,
    comments: () =>
      (server.comments.get(`${GITHUB_ISSUES_REPOSITORY}#1`) ?? []).map((comment) => comment.body),
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.tokens.clear() },
    close: () => server.stop(),
  };
}
