import type { GithubAppIssuer } from './github-app.ts';
import { type Fault, FaultQueue, faultResponse, type Loopback, listen, newApp } from './loopback.ts';

type TokenKind = 'classic' | 'fine-grained' | 'installation';

/** A pull request as the REST API returns it (the webhook examples carry the same object). */
export type PullJson = Record<string, unknown> & {
  number: number;
  head: { ref: string; sha?: string; label?: string; repo?: { full_name: string } | null };
};

/** What GitHub lists of a commit's checks, by kind, as `…/check-runs`, `…/check-suites`, `…/actions/runs`. */
export interface CommitChecks {
  check_run: Record<string, unknown>[];
  check_suite: Record<string, unknown>[];
  workflow_run: Record<string, unknown>[];
}

/**
 * GitHub's REST API on loopback: `/user`, `/installation/repositories`, `/repos/{o}/{r}/pulls[/{n}]`, a
 * pull request's reviews (`…/pulls/{n}/reviews`, paged as GitHub pages them) and a review's remarks
 * (`…/pulls/{n}/reviews/{id}/comments`), and a
 * pull request's conversation (`/repos/{o}/{r}/issues/{n}` and its comments: GitHub keeps a pull request's
 * comments as an issue's). A repository's branches are its pull requests' heads (`/repos/{o}/{r}/branches/{b}`),
 * and a commit's checks are listed by kind (`…/commits/{sha}/check-runs`, `…/check-suites`,
 * `/actions/runs?head_sha=`).
 */
export class GithubServer {
  readonly pulls = new Map<string, PullJson>();
  /**
   * The conversation of each pull request (`owner/repo#n`), as issue comments, oldest first: `id` and
   * `body` always, and as GitHub gives them the author and times (a comment the target posts is the
   * server's, at its clock).
   */
  readonly comments = new Map<string, ({ id: number; body: string } & Record<string, unknown>)[]>();
  /** The reviews of each pull request (`owner/repo#n`), oldest first, as `GET …/reviews` lists them. */
  readonly reviews = new Map<string, Record<string, unknown>[]>();
  /** A review's line remarks, by `owner/repo#n/review id`, as `GET …/reviews/{id}/comments` lists them. */
  readonly reviewComments = new Map<string, Record<string, unknown>[]>();
  /** The checks of each commit, by its sha (`checksOf` makes the entry). */
  readonly checks = new Map<string, CommitChecks>();
  readonly requests: string[] = [];
  readonly faults = new FaultQueue();
  readonly tokens = new Map<string, TokenKind>([['ghp_classic_test_token', 'classic']]);
  /** The classic token's scopes, as `x-oauth-scopes` reports them. */
  scopes = ['repo', 'read:org'];
  /** Set to play GitHub for a GitHub App: its JWT endpoints, and the installation tokens it issued. */
  appIssuer: GithubAppIssuer | undefined;
  #loopback: Loopback | undefined;

  get url(): string {
    if (!this.#loopback) throw new Error('GithubServer is not started');
    return this.#loopback.url;
  }

  async start(): Promise<this> {
    const app = newApp();
    app.use('*', async (c, next) => {
      const path = new URL(c.req.url).pathname;
      this.requests.push(`${c.req.method} ${path}${new URL(c.req.url).search}`);
      const fault = this.faults.take(path);
      if (fault) return faultResponse(fault);
      if (!c.req.header('user-agent'))
        return c.json({ message: 'Request forbidden by administrative rules.' }, 403);
      const answered = await this.appIssuer?.answer(c.req.raw);
      if (answered) return answered;
      const header = c.req.header('authorization') ?? '';
      const token = header.replace(/^(Bearer|token) /, '');
      const kind = this.tokens.get(token) ?? (this.appIssuer?.accepts(token) ? 'installation' : undefined);
      if (!kind)
        return c.json(
          { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
          401,
        );
      c.set('kind' as never, kind as never);
      await next();
    });
    app.get('/user', (c) => {
      const kind = c.get('kind' as never) as TokenKind;
      if (kind === 'installation')
        return c.json(
          {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          },
          403,
        );
      const headers: Record<string, string> =
        kind === 'classic' ? { 'x-oauth-scopes': this.scopes.join(', ') } : {};
      return c.json({ login: 'factory-bot', id: 1, type: 'User' }, 200, headers);
    });
    app.get('/installation/repositories', (c) => {
      const kind = c.get('kind' as never) as TokenKind;
      if (kind !== 'installation') return c.json({ message: 'A JSON web token could not be decoded' }, 401);
      return c.json({ total_count: 2, repositories: [] });
    });
    app.get('/repos/:owner/:repo/pulls/:number/reviews/:review/comments', (c) => {
      const key = `${c.req.param('owner')}/${c.req.param('repo')}#${c.req.param('number')}/${c.req.param('review')}`;
      if (!this.pulls.has(key.slice(0, key.lastIndexOf('/'))))
        return c.json({ message: 'Not Found', status: '404' }, 404);
      const perPage = Number(c.req.query('per_page') ?? 30);
      return c.json((this.reviewComments.get(key) ?? []).slice(0, perPage));
    });
    app.get('/repos/:owner/:repo/pulls/:number/reviews', (c) => {
      const key = `${c.req.param('owner')}/${c.req.param('repo')}#${c.req.param('number')}`;
      if (!this.pulls.has(key)) return c.json({ message: 'Not Found', status: '404' }, 404);
      // GitHub's pages: 30 by default, at most 100; page 1 first.
      const perPage = Math.min(100, Number(c.req.query('per_page') ?? 30));
      const page = Number(c.req.query('page') ?? 1);
      return c.json((this.reviews.get(key) ?? []).slice((page - 1) * perPage, page * perPage));
    });
    app.get('/repos/:owner/:repo/branches/:branch', (c) => {
      const repository = `${c.req.param('owner')}/${c.req.param('repo')}`;
      const pull = [...this.pulls.entries()].find(
        ([id, known]) => id.startsWith(`${repository}#`) && known.head.ref === c.req.param('branch'),
      )?.[1];
      if (!pull?.head.sha) return c.json({ message: 'Branch not found', status: '404' }, 404);
      return c.json({ name: pull.head.ref, commit: { sha: pull.head.sha } });
    });
    const paged = (c: { req: { query(name: string): string | undefined } }, all: unknown[]) => {
      const perPage = Math.min(100, Number(c.req.query('per_page') ?? 30));
      const page = Number(c.req.query('page') ?? 1);
      return all.slice((page - 1) * perPage, page * perPage);
    };
    const completed = (
      c: { req: { query(name: string): string | undefined } },
      all: Record<string, unknown>[],
    ) => (c.req.query('status') === 'completed' ? all.filter((check) => check.status === 'completed') : all);
    app.get('/repos/:owner/:repo/commits/:sha/check-runs', (c) => {
      const runs = completed(c, this.checksOf(c.req.param('sha')).check_run);
      return c.json({ total_count: runs.length, check_runs: paged(c, runs) });
    });
    app.get('/repos/:owner/:repo/commits/:sha/check-suites', (c) => {
      const suites = this.checksOf(c.req.param('sha')).check_suite;
      return c.json({ total_count: suites.length, check_suites: paged(c, suites) });
    });
    app.get('/repos/:owner/:repo/actions/runs', (c) => {
      const runs = completed(c, this.checksOf(c.req.query('head_sha') ?? '').workflow_run);
      return c.json({ total_count: runs.length, workflow_runs: paged(c, runs) });
    });
    app.get('/repos/:owner/:repo/pulls/:number', (c) => {
      const pull = this.pulls.get(`${c.req.param('owner')}/${c.req.param('repo')}#${c.req.param('number')}`);
      return pull ? c.json(pull) : c.json({ message: 'Not Found', status: '404' }, 404);
    });
    app.get('/repos/:owner/:repo/pulls', (c) => {
      const repository = `${c.req.param('owner')}/${c.req.param('repo')}`;
      const head = c.req.query('head');
      const state = c.req.query('state') ?? 'open';
      const found = [...this.pulls.entries()]
        .filter(([id]) => id.startsWith(`${repository}#`))
        .map(([, pull]) => pull)
        // GitHub matches `head` against the head's label, `<owner of the head repository>:<branch>`.
        .filter((pull) => !head || (pull.head.label ?? `${c.req.param('owner')}:${pull.head.ref}`) === head)
        .filter((pull) => state === 'all' || pull.state === state)
        .sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
      return c.json(found);
    });
    const conversation = (c: { req: { param(name: string): string } }) =>
      `${c.req.param('owner')}/${c.req.param('repo')}#${c.req.param('number')}`;
    app.get('/repos/:owner/:repo/issues/:number', (c) => {
      const pull = this.pulls.get(conversation(c));
      if (!pull) return c.json({ message: 'Not Found', status: '404' }, 404);
      return c.json({ ...pull, comments: (this.comments.get(conversation(c)) ?? []).length });
    });
    app.get('/repos/:owner/:repo/issues/:number/comments', (c) => {
      // `since`: only comments updated at or after it, as GitHub filters them.
      const since = c.req.query('since');
      const all = (this.comments.get(conversation(c)) ?? []).filter(
        (comment) => since === undefined || Date.parse(String(comment.updated_at)) >= Date.parse(since),
      );
      const perPage = Number(c.req.query('per_page') ?? 30);
      const page = Number(c.req.query('page') ?? 1);
      return c.json(all.slice((page - 1) * perPage, page * perPage));
    });
    app.post('/repos/:owner/:repo/issues/:number/comments', async (c) => {
      if (!this.pulls.has(conversation(c))) return c.json({ message: 'Not Found', status: '404' }, 404);
      const { body } = (await c.req.json()) as { body: string };
      const list = this.comments.get(conversation(c)) ?? [];
      const now = new Date().toISOString();
      const comment = { id: 1000 + list.length, body, created_at: now, updated_at: now };
      this.comments.set(conversation(c), [...list, comment]);
      return c.json(comment, 201);
    });
    this.#loopback = await listen(app);
    return this;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  /** The checks GitHub lists for the commit `sha` (an empty entry, kept, the first time). */
  checksOf(sha: string): CommitChecks {
    const known = this.checks.get(sha) ?? { check_run: [], check_suite: [], workflow_run: [] };
    this.checks.set(sha, known);
    return known;
  }

  addPull(repository: string, pull: PullJson): void {
    this.pulls.set(`${repository}#${pull.number}`, structuredClone(pull));
  }

  failNext(path: string, ...faults: Fault[]): void {
    this.faults.add(path, ...faults);
  }
}
