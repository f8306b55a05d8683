import { type Fault, FaultQueue, faultResponse, type Loopback, listen, newApp } from './loopback.ts';
import { OAuthGrants } from './oauth-grants.ts';

/** The OAuth application registered on the instance, non-confidential: PKCE alone redeems its codes. */
export const GITLAB_APP = { id: 'gitlab-test-application' };

/** A merge request as REST API v4 returns it (the fields the factory reads and a few around them). */
export type MergeRequestJson = Record<string, unknown> & {
  iid: number;
  source_branch: string;
  state: string;
  updated_at: string;
};

/** Merge request `iid` of acme/app from branch factory/tes-41, open and ready, with `fields` changed. */
export function mergeRequestJson(fields: Partial<MergeRequestJson> & { iid: number }): MergeRequestJson {
  return {
    id: 1000 + fields.iid,
    project_id: 14,
    title: 'TES-41: export as JSON',
    description: 'Closes TES-41',
    state: 'opened',
    draft: false,
    work_in_progress: false,
    source_branch: 'factory/tes-41',
    target_branch: 'main',
    source_project_id: 14,
    target_project_id: 14,
    updated_at: '2026-01-01T11:00:00.000Z',
    web_url: `https://gitlab.com/acme/app/-/merge_requests/${fields.iid}`,
    references: { full: `acme/app!${fields.iid}` },
    ...fields,
  };
}

interface TokenInfo {
  kind: 'personal' | 'oauth';
  username: string;
  scopes: string[];
}

/**
 * GitLab's REST API v4 on loopback: `/user`, `/personal_access_tokens/self`, a project's merge requests
 * by iid and filtered by source branch, their notes and pipelines, a pipeline's jobs. Projects are addressed by URL-encoded path, as the API allows.
 * As a self-managed instance it is its own OAuth 2 provider: `/oauth/authorize` and `/oauth/token`
 * (authorization code with PKCE; `oauth` is replaced to register a confidential application), whose
 * tokens the API takes as `Authorization: Bearer` and which `/personal_access_tokens/self` does not know.
 */
export class GitlabServer {
  readonly mergeRequests = new Map<string, MergeRequestJson[]>();
  /**
   * The notes of each merge request (`project!iid`), oldest first: `id` and `body` always, and as the API
   * lists them the author and time (a note the target writes is the token user's, at the server's clock).
   */
  readonly notes = new Map<string, ({ id: number; body: string } & Record<string, unknown>)[]>();
  /** The pipelines of each merge request (`project!iid`), oldest first; GitLab lists them newest first. */
  readonly pipelines = new Map<string, ({ id: number } & Record<string, unknown>)[]>();
  /** The jobs of each pipeline (`project#pipeline id`), as `GET …/pipelines/{id}/jobs` lists them. */
  readonly jobs = new Map<string, ({ status: string } & Record<string, unknown>)[]>();
  readonly requests: string[] = [];
  readonly faults = new FaultQueue();
  readonly tokens = new Map<string, TokenInfo>([
    ['glpat-test-token', { kind: 'personal', username: 'factory-bot', scopes: ['api'] }],
  ]);
  /** The instance's OAuth provider. */
  oauth = new OAuthGrants({ client: GITLAB_APP, tokenPrefix: 'gloas-' });
  /** How each API call carried its token. */
  readonly authentications: ('bearer' | 'private-token')[] = [];
  #loopback: Loopback | undefined;

  get url(): string {
    if (!this.#loopback) throw new Error('GitlabServer is not started');
    return this.#loopback.url;
  }

  async start(): Promise<this> {
    const app = newApp();
    app.use('*', async (c, next) => {
      const url = new URL(c.req.url);
      this.requests.push(`${c.req.method} ${url.pathname}${url.search}`);
      const fault = this.faults.take(url.pathname);
      if (fault) return faultResponse(fault);
      await next();
    });
    app.get('/oauth/authorize', (c) => this.oauth.authorize(new URL(c.req.url)));
    app.post('/oauth/token', (c) => this.oauth.token(c.req.raw));
    app.use('/api/*', async (c, next) => {
      const privateToken = c.req.header('private-token');
      this.authentications.push(privateToken !== undefined ? 'private-token' : 'bearer');
      const token = privateToken ?? (c.req.header('authorization') ?? '').replace(/^Bearer /, '');
      const scopes = this.oauth.scopesOf(token);
      const info =
        this.tokens.get(token) ?? (scopes ? { kind: 'oauth', username: 'factory-bot', scopes } : undefined);
      if (!info) return c.json({ message: '401 Unauthorized' }, 401);
      c.set('token' as never, info as never);
      await next();
    });
    app.get('/api/v4/user', (c) => {
      const info = c.get('token' as never) as TokenInfo;
      return c.json({ id: 7, username: info.username, name: 'Factory Bot', state: 'active' });
    });
    app.get('/api/v4/personal_access_tokens/self', (c) => {
      const info = c.get('token' as never) as TokenInfo;
      if (info.kind !== 'personal') return c.json({ message: '404 Not Found' }, 404);
      return c.json({
        id: 42,
        name: 'factory',
        revoked: false,
        active: true,
        scopes: info.scopes,
        user_id: 7,
      });
    });
    app.get('/api/v4/projects/:id/merge_requests/:iid', (c) => {
      const found = (this.mergeRequests.get(c.req.param('id')) ?? []).find(
        (request) => request.iid === Number(c.req.param('iid')),
      );
      return found ? c.json(found) : c.json({ message: '404 Not found' }, 404);
    });
    app.get('/api/v4/projects/:id/merge_requests', (c) => {
      const branch = c.req.query('source_branch');
      const state = c.req.query('state') ?? 'all';
      const found = (this.mergeRequests.get(c.req.param('id')) ?? [])
        .filter((request) => !branch || request.source_branch === branch)
        .filter((request) => state === 'all' || request.state === state)
        .sort((a, b) => b.updated_at.localeCompare(a.updated_at));
      return c.json(found);
    });
    const mergeRequestOf = (c: { req: { param(name: string): string } }) =>
      `${c.req.param('id')}!${c.req.param('iid')}`;
    const found = (c: { req: { param(name: string): string } }) =>
      (this.mergeRequests.get(c.req.param('id')) ?? []).some(
        (request) => request.iid === Number(c.req.param('iid')),
      );
    app.get('/api/v4/projects/:id/merge_requests/:iid/notes', (c) => {
      if (!found(c)) return c.json({ message: '404 Not found' }, 404);
      const all = [...(this.notes.get(mergeRequestOf(c)) ?? [])];
      if (c.req.query('sort') === 'desc') all.reverse();
      const perPage = Number(c.req.query('per_page') ?? 20);
      const page = Number(c.req.query('page') ?? 1);
      return c.json(all.slice((page - 1) * perPage, page * perPage));
    });
    app.get('/api/v4/projects/:id/merge_requests/:iid/pipelines', (c) => {
      if (!found(c)) return c.json({ message: '404 Not found' }, 404);
      const all = [...(this.pipelines.get(mergeRequestOf(c)) ?? [])].reverse();
      return c.json(all.slice(0, Number(c.req.query('per_page') ?? 20)));
    });
    app.get('/api/v4/projects/:id/pipelines/:pipeline/jobs', (c) => {
      const scope = c.req.query('scope');
      const all = this.jobs.get(`${c.req.param('id')}#${c.req.param('pipeline')}`) ?? [];
      return c.json(all.filter((job) => scope === undefined || job.status === scope));
    });
    app.post('/api/v4/projects/:id/merge_requests/:iid/notes', async (c) => {
      if (!found(c)) return c.json({ message: '404 Not found' }, 404);
      const info = c.get('token' as never) as TokenInfo;
      if (!info.scopes.includes('api') && info.kind === 'personal')
        return c.json({ error: 'insufficient_scope', scope: 'api' }, 403);
      const { body } = (await c.req.json()) as { body: string };
      const list = this.notes.get(mergeRequestOf(c)) ?? [];
      const note = {
        id: 500 + list.length,
        body,
        author: { id: 7, username: info.username, name: 'Factory Bot' },
        created_at: new Date().toISOString(),
        system: false,
      };
      this.notes.set(mergeRequestOf(c), [...list, note]);
      return c.json(note, 201);
    });
    this.#loopback = await listen(app);
    return this;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  /** Stores a merge request under its project path (the API decodes `group%2Fproject` to it). */
  addMergeRequest(project: string, request: MergeRequestJson): void {
    const list = this.mergeRequests.get(project) ?? [];
    this.mergeRequests.set(project, [
      ...list.filter((known) => known.iid !== request.iid),
      structuredClone(request),
    ]);
  }

  failNext(path: string, ...faults: Fault[]): void {
    this.faults.add(path, ...faults);
  }
}
