import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GithubOutputTarget, type GithubTargetOptions } from '../src/github/output-target.ts';
import { NotAuthorisedError } from '../src/shared/provider-errors.ts';
import { pullRequestExample } from './support/fixtures.ts';
import { GithubServer, type PullJson } from './support/github-server.ts';
import { recordingSleep } from './support/loopback.ts';

const TOKEN = 'ghp_classic_test_token';
let server: GithubServer;

beforeAll(async () => {
  server = await new GithubServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.pulls.clear();
  server.requests.length = 0;
  server.scopes = ['repo', 'read:org'];
  const open = pullRequestExample('ready_for_review').pull_request as PullJson;
  server.addPull('Codertocat/Hello-World', open);
  const older = pullRequestExample('closed').pull_request as PullJson;
  server.addPull('Codertocat/Hello-World', {
    ...older,
    number: 1,
    html_url: 'https://github.com/Codertocat/Hello-World/pull/1',
    updated_at: '2019-05-14T00:00:00Z',
  });
});

function target(options: Partial<GithubTargetOptions> = {}) {
  const recorder = recordingSleep();
  const github = new GithubOutputTarget({
    baseUrl: server.url,
    token: TOKEN,
    retry: { sleep: recorder.sleep, random: () => 0.5 },
    ...options,
  });
  return Object.assign(github, { waits: recorder.waits });
}

describe('reading pull requests', () => {
  it('reads one by owner/repo#number', async () => {
    expect(await target().getOutput('Codertocat/Hello-World#2')).toEqual({
      id: 'Codertocat/Hello-World#2',
      url: 'https://github.com/Codertocat/Hello-World/pull/2',
      state: 'ready',
      branch: 'changes',
      title: 'Update the README with new information.',
      body: 'This is a pretty simple change that we need to pull into master.',
      updatedAt: '2019-05-15T15:21:18Z',
    });
  });

  // Reading an unknown one, and the connection states, are in the OutputTarget conformance suite
  // (conformance/github.test.ts).
  it('refuses a malformed id', async () => {
    await expect(target().getOutput('Hello-World#2')).rejects.toThrow('expected owner/repo#number');
  });

  it('finds the open pull request on a branch with the head filter, preferring it to older closed ones', async () => {
    const found = await target().findOutput('Codertocat/Hello-World', 'changes');
    expect(found).toMatchObject({ id: 'Codertocat/Hello-World#2', state: 'ready' });
    expect(server.requests.at(-1)).toContain('head=Codertocat%3Achanges');
    expect(server.requests.at(-1)).toContain('state=all');
  });

  it('passes over a pull request from a fork on the same branch name, even if an API listed it', async () => {
    server.pulls.clear();
    const fork = pullRequestExample('ready_for_review').pull_request as PullJson;
    // The head filter would exclude it at GitHub (its label is the fork owner's); this one slips through.
    server.addPull('Codertocat/Hello-World', {
      ...fork,
      head: { ...fork.head, label: 'Codertocat:changes', repo: { full_name: 'stranger/Hello-World' } },
    });
    expect(await target().findOutput('Codertocat/Hello-World', 'changes')).toBeUndefined();
  });
});

describe('transient failures', () => {
  it('retries a 429 after its Retry-After and 5xx answers', async () => {
    const github = target();
    server.failNext(
      '/repos/Codertocat/Hello-World/pulls/2',
      { status: 429, headers: { 'retry-after': '4' }, body: { message: 'API rate limit exceeded' } },
      { status: 502, body: { message: 'Server Error' } },
    );
    expect(await github.getOutput('Codertocat/Hello-World#2')).toMatchObject({ state: 'ready' });
    expect(github.waits[0]).toBe(4000);
    expect(github.waits).toHaveLength(2);
  });

  it('does not send a comment again when its answer was lost after it landed: it finds its marker instead', async () => {
    server.comments.clear();
    const posts = () => server.requests.filter((request) => request.startsWith('POST'));
    // GitHub takes the comment, and the connection drops before its answer arrives.
    const losingAnswers: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (new Request(input, init).method === 'POST') throw new TypeError('fetch failed: other side closed');
      return response;
    };
    const github = target({ fetch: losingAnswers });

    await github.postComment('Codertocat/Hello-World#2', 'Round 1 is done.', {
      idempotencyKey: 'tenant:item:1:comment',
    });

    expect(posts()).toHaveLength(1);
    expect(server.comments.get('Codertocat/Hello-World#2')).toEqual([
      expect.objectContaining({ body: expect.stringMatching(/^Round 1 is done\.\n\n<!-- factory:comment /) }),
    ]);
  });
});

describe('connection', () => {
  it('is connected with the scopes x-oauth-scopes lists for a classic token', async () => {
    expect(await target().checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory-bot',
      grantedScopes: ['repo', 'read:org'],
    });
  });

  it('names the missing scope', async () => {
    server.scopes = ['public_repo'];
    expect(await target().checkConnection()).toMatchObject({ state: 'missing-scopes', missing: ['repo'] });
  });

  it('is connected without scopes for a fine-grained token, which GitHub reports none for', async () => {
    server.tokens.set('github_pat_fine_grained', 'fine-grained');
    expect(await target({ token: 'github_pat_fine_grained' }).checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory-bot',
    });
  });

  it('checks an app installation token through the repositories it was granted', async () => {
    server.tokens.set('ghs_installation_token', 'installation');
    expect(await target({ token: 'ghs_installation_token' }).checkConnection()).toEqual({
      state: 'connected',
      identity: 'GitHub App installation (2 repositories)',
    });
  });

  it('never shows a refused token: not in the status, not in the error, which says how to connect', async () => {
    const status = await target({ token: 'ghp_revoked_token' }).checkConnection();
    expect(JSON.stringify(status)).not.toContain('ghp_revoked_token');
    const error = await target({ token: 'ghp_revoked_token' })
      .getOutput('Codertocat/Hello-World#2')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotAuthorisedError);
    expect((error as Error).message).toContain('factory connect github');
    expect((error as Error).message).not.toContain('ghp_revoked_token');
  });
});

describe('config', () => {
  it.each([
    [{ baseUrl: 'api.github.com' }, 'baseUrl'],
    [{ provider: '' }, 'provider'],
    [{ org: 'acme' }, 'org'],
  ])('rejects %j naming the field', (config, field) => {
    expect(() => new GithubOutputTarget(config as GithubTargetOptions)).toThrow(
      new RegExp(`invalid GitHub output target config: .*${field}`),
    );
  });
});
