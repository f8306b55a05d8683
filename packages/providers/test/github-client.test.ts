import { describe, expect, it } from 'vitest';
import { GithubClient } from '../src/github/client.ts';
import { NotAuthorisedError, ProviderApiError } from '../src/shared/provider-errors.ts';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A GitHub that answers every request with `answer` and records what it was sent. */
function github(answer: () => Response = () => Response.json({ ok: true })) {
  const sent: Sent[] = [];
  const client = new GithubClient({
    baseUrl: 'https://ghe.example/api/v3/',
    token: 'ghp_secret_token',
    retry: { maxAttempts: 1 },
    fetch: async (input, init) => {
      sent.push({
        method: String(init?.method),
        url: String(input),
        headers: init?.headers as Record<string, string>,
        ...(typeof init?.body === 'string' ? { body: init.body } : {}),
      });
      return answer();
    },
  });
  return { client, sent };
}

describe('GithubClient', () => {
  it('fills the route from the parameters, encoded, and sends the rest as the query of a read', async () => {
    const { client, sent } = github();
    const answer = await client.request('GET /repos/{owner}/{repo}/pulls', {
      owner: 'acme',
      repo: 'web app',
      head: 'acme:factory/ENG-7',
      state: 'all',
      per_page: 10,
    });
    expect(answer).toMatchObject({ status: 200, data: { ok: true } });
    expect(sent).toEqual([
      {
        method: 'GET',
        url: 'https://ghe.example/api/v3/repos/acme/web%20app/pulls?head=acme%3Afactory%2FENG-7&state=all&per_page=10',
        headers: {
          accept: 'application/vnd.github+json',
          authorization: 'Bearer ghp_secret_token',
          'user-agent': '@software-factory/providers',
        },
      },
    ]);
  });

  it('sends the rest as the JSON body of a write, and a label with a colon and a space in its path', async () => {
    const { client, sent } = github(() => new Response(null, { status: 204 }));
    await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
      owner: 'acme',
      repo: 'web',
      issue_number: 12,
      labels: ['factory: in progress'],
    });
    await client.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', {
      owner: 'acme',
      repo: 'web',
      issue_number: 12,
      name: 'factory: in progress',
    });
    expect(sent.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      {
        method: 'POST',
        url: 'https://ghe.example/api/v3/repos/acme/web/issues/12/labels',
        body: '{"labels":["factory: in progress"]}',
      },
      {
        method: 'DELETE',
        url: 'https://ghe.example/api/v3/repos/acme/web/issues/12/labels/factory%3A%20in%20progress',
        body: undefined,
      },
    ]);
    expect(sent[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('refuses a route whose parameter is missing, sending nothing', async () => {
    const { client, sent } = github();
    await expect(
      client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner: 'acme',
        repo: 'web',
      } as never),
    ).rejects.toThrow(
      'GitHub GET /repos/{owner}/{repo}/pulls/{pull_number}: the parameter pull_number is missing',
    );
    expect(sent).toEqual([]);
  });

  it('says a refused token needs signing in, and a failed call what failed and with which status, never the token', async () => {
    const refused = github(() =>
      Response.json({ message: 'Bad credentials ghp_secret_token' }, { status: 401 }),
    );
    const unauthorised = refused.client.request('GET /user');
    await expect(unauthorised).rejects.toBeInstanceOf(NotAuthorisedError);
    await expect(unauthorised).rejects.not.toThrow('ghp_secret_token');

    const missing = github(() => Response.json({ message: 'Not Found' }, { status: 404 }));
    const failure = missing.client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner: 'acme',
      repo: 'web',
      pull_number: 9,
    });
    await expect(failure).rejects.toBeInstanceOf(ProviderApiError);
    await expect(failure).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining(
        'GitHub GET https://ghe.example/api/v3/repos/acme/web/pulls/9 failed: Not Found',
      ),
    });
  });

  it('asks nothing of GitHub without a token', async () => {
    let requests = 0;
    const anonymous = new GithubClient({
      fetch: async () => {
        requests += 1;
        return Response.json({});
      },
    });
    await expect(anonymous.request('GET /user')).rejects.toBeInstanceOf(NotAuthorisedError);
    expect(requests).toBe(0);
  });
});
