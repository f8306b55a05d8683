import type { GithubAppIssuer } from './github-app.ts';
import { type Fault, FaultQueue, faultResponse, type Loopback, listen, newApp } from './loopback.ts';

/** An issue as the REST API returns it (the webhook examples carry the same object). */
export type IssueJson = Record<string, unknown> & {
  number: number;
  state: string;
  labels: { name: string }[];
  updated_at: string;
};

export interface CommentJson {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
}

/**
 * GitHub's REST API for issues on loopback: read and update an issue, add and remove labels, list and
 * create comments, `/user` with `x-oauth-scopes`. Refuses requests without a User-Agent, as GitHub does.
 */
export class GithubIssuesServer {
  readonly issues = new Map<string, IssueJson>();
  readonly comments = new Map<string, CommentJson[]>();
  readonly requests: string[] = [];
  readonly faults = new FaultQueue();
  readonly tokens = new Set(['ghp_issues_test_token']);
  scopes = ['repo'];
  /** Set to play GitHub for a GitHub App: its JWT endpoints, and the installation tokens it issued. */
  appIssuer: GithubAppIssuer | undefined;
  /** How many coming label and issue writes answer success but change nothing, as a lost write would. */
  forgetWrites = 0;
  #nextComment = 900;
  #loopback: Loopback | undefined;

  get url(): string {
    if (!this.#loopback) throw new Error('GithubIssuesServer is not started');
    return this.#loopback.url;
  }

  async start(): Promise<this> {
    const app = newApp();
    app.use('*', async (c, next) => {
      const url = new URL(c.req.url);
      this.requests.push(`${c.req.method} ${url.pathname}${url.search}`);
      const fault = this.faults.take(`${c.req.method} ${url.pathname}`) ?? this.faults.take(url.pathname);
      if (fault) return faultResponse(fault);
      if (!c.req.header('user-agent'))
        return c.json({ message: 'Request forbidden by administrative rules.' }, 403);
      const answered = await this.appIssuer?.answer(c.req.raw);
      if (answered) return answered;
      const token = (c.req.header('authorization') ?? '').replace(/^(Bearer|token) /, '');
      const installation = this.appIssuer?.accepts(token) === true;
      c.set('installation' as never, installation as never);
      if (!this.tokens.has(token) && !installation)
        return c.json(
          { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
          401,
        );
      await next();
    });
    app.get('/installation/repositories', (c) =>
      c.get('installation' as never)
        ? c.json({ total_count: 1, repositories: [] })
        : c.json({ message: 'A JSON web token could not be decoded' }, 401),
    );
    app.get('/user', (c) =>
      c.json({ login: 'factory-bot', id: 1, type: 'User' }, 200, {
        'x-oauth-scopes': this.scopes.join(', '),
      }),
    );
    const issuePath = '/repos/:owner/:repo/issues/:number';
    app.get(issuePath, (c) => {
      const issue = this.issues.get(idOf(c));
      return issue ? c.json({ ...issue, comments: (this.comments.get(idOf(c)) ?? []).length }) : notFound(c);
    });
    app.patch(issuePath, async (c) => {
      const issue = this.issues.get(idOf(c));
      if (!issue) return notFound(c);
      const body = (await c.req.json()) as { state?: string; state_reason?: string };
      if (this.#forget()) return c.json(issue);
      if (body.state) issue.state = body.state;
      if (body.state_reason) issue.state_reason = body.state_reason;
      issue.updated_at = bump(issue.updated_at);
      return c.json(issue);
    });
    app.post(`${issuePath}/labels`, async (c) => {
      const issue = this.issues.get(idOf(c));
      if (!issue) return notFound(c);
      const { labels } = (await c.req.json()) as { labels: string[] };
      if (this.#forget()) return c.json(issue.labels);
      for (const name of labels)
        if (!issue.labels.some((label) => label.name === name)) issue.labels.push({ name });
      issue.updated_at = bump(issue.updated_at);
      return c.json(issue.labels);
    });
    app.delete(`${issuePath}/labels/:name`, (c) => {
      const issue = this.issues.get(idOf(c));
      const name = c.req.param('name');
      if (!issue?.labels.some((label) => label.name === name))
        return c.json({ message: 'Label does not exist', status: '404' }, 404);
      issue.labels = issue.labels.filter((label) => label.name !== name);
      return c.json(issue.labels);
    });
    app.get(`${issuePath}/comments`, (c) => {
      const all = this.comments.get(idOf(c)) ?? [];
      const perPage = Number(c.req.query('per_page') ?? 30);
      const page = Number(c.req.query('page') ?? 1);
      return c.json(all.slice((page - 1) * perPage, page * perPage));
    });
    app.post(`${issuePath}/comments`, async (c) => {
      if (!this.issues.has(idOf(c))) return notFound(c);
      const { body } = (await c.req.json()) as { body: string };
      return c.json(this.addComment(idOf(c), body, 'factory-bot'), 201);
    });
    this.#loopback = await listen(app);
    return this;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  addIssue(repository: string, issue: IssueJson): void {
    this.issues.set(`${repository}#${issue.number}`, structuredClone(issue));
  }

  addComment(id: string, body: string, login: string, type = 'User'): CommentJson {
    const comment = {
      id: this.#nextComment++,
      body,
      user: { login, type },
      html_url: `https://github.com/${id}`,
    };
    this.comments.set(id, [...(this.comments.get(id) ?? []), comment]);
    return comment;
  }

  #forget(): boolean {
    if (this.forgetWrites <= 0) return false;
    this.forgetWrites--;
    return true;
  }

  failNext(match: string, ...faults: Fault[]): void {
    this.faults.add(match, ...faults);
  }
}

function idOf(c: { req: { param(name: string): string } }): string {
  return `${c.req.param('owner')}/${c.req.param('repo')}#${c.req.param('number')}`;
}

function notFound(c: { json: (body: unknown, status: 404) => Response }): Response {
  return c.json({ message: 'Not Found', status: '404' }, 404);
}

function bump(updatedAt: string): string {
  return new Date(Date.parse(updatedAt) + 1000).toISOString().replace('.000Z', 'Z');
}
