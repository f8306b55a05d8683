import type { Hono } from 'hono';
import { type Fault, FaultQueue, faultResponse, type Loopback, listen, newApp } from './loopback.ts';
import { OAuthGrants } from './oauth-grants.ts';

export interface JiraStatusRecord {
  id: string;
  name: string;
  category: 'new' | 'indeterminate' | 'done';
}

export interface JiraIssueRecord {
  id: string;
  key: string;
  summary: string;
  /** ADF, as REST v3 returns it. */
  description: unknown;
  labels: string[];
  statusId: string;
  projectId: string;
  projectKey: string;
  issueTypeId: string;
  updated: string;
  reporterAccountId?: string;
  assigneeAccountId?: string;
}

export interface JiraCommentRecord {
  id: string;
  issueId: string;
  authorAccountId: string;
  body: unknown;
  properties: { key: string; value: unknown }[];
  created: string;
}

/** A company-managed workflow: every status reachable from every other by one global transition. */
export const JIRA_STATUSES: JiraStatusRecord[] = [
  { id: '10001', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10002', name: 'Done', category: 'done' },
  { id: '10003', name: 'In Review', category: 'indeterminate' },
];
const TRANSITION_TO: Record<string, string> = { '10001': '11', '3': '21', '10002': '31', '10003': '41' };

export const JIRA_BOT_ACCOUNT = '557058:factory-bot';
/** The cloud id of the site the server plays, as Atlassian's gateway addresses it. */
export const JIRA_CLOUD_ID = '11223344-a1b2-3b33-c444-def123456789';
/** The OAuth 2.0 (3LO) app registered in Atlassian's developer console. */
export const ATLASSIAN_CLIENT = { id: 'atlassian-test-client', secret: 'atl-client-secret-never-logged' };

export interface AtlassianSite {
  id: string;
  url: string;
  name: string;
}
/** The author of the captured comment_created webhook: a person with an Atlassian account on the site. */
export const JIRA_CAPTURED_AUTHOR = '5c5f880629be9642ba529340';

/**
 * Jira Cloud's REST API v3 on loopback: issues, transitions, comments (ADF bodies, entity properties,
 * `comment/list?expand=properties`), `myself`, and Atlassian's accessible-resources for OAuth tokens.
 * Error bodies have Jira's shape (`errorMessages`, `errors`).
 *
 * It plays Atlassian's OAuth 2.0 (3LO) too, on the same port: the consent page (`/authorize`, which
 * insists on `audience=api.atlassian.com` and `prompt=consent`), the token endpoint (`/oauth/token`, the
 * client secret required, a rotating refresh token only with `offline_access`), the sites a token was
 * granted (`grantedSites`) and the API gateway, `/ex/jira/<cloud id>/rest/…`, the only place an issued
 * token is accepted (as at Atlassian, not on the site itself).
 */
export class JiraServer {
  readonly issues = new Map<string, JiraIssueRecord>();
  readonly comments: JiraCommentRecord[] = [];
  readonly transitionsPosted: { key: string; id: string }[] = [];
  readonly requests: string[] = [];
  readonly faults = new FaultQueue();
  /** Basic auth users (email → API token) and OAuth bearer tokens (token → granted scopes). */
  readonly basicUsers = new Map<string, string>([['factory@acme.test', 'jira-api-token-test']]);
  readonly bearerTokens = new Map<string, string[]>([
    ['jira-oauth-token-test', ['read:jira-work', 'write:jira-work', 'read:jira-user']],
  ]);
  /** `METHOD path`s whose next request is carried out and then answered 502, as a gateway may. */
  readonly landThenFail = new Set<string>();
  /** Every accepted issue edit (`PUT /issue/:ref`) body, in order. */
  readonly edits: { key: string; body: unknown }[] = [];
  /** How many coming edits and transitions answer 204 but change nothing, as a lost write would. */
  forgetWrites = 0;
  /** Users `GET /rest/api/3/user` knows, by account id; any other id answers 404 as Jira does. */
  readonly users = new Map<string, { accountType: 'atlassian' | 'app' | 'customer'; displayName: string }>([
    [JIRA_CAPTURED_AUTHOR, { accountType: 'atlassian', displayName: 'Test User' }],
    [JIRA_BOT_ACCOUNT, { accountType: 'atlassian', displayName: 'Factory Bot' }],
  ]);
  siteUrl = 'https://acme.atlassian.net';
  /** Atlassian's authorization server. */
  readonly oauth = new OAuthGrants({
    client: ATLASSIAN_CLIENT,
    tokenPrefix: 'atl-access-',
    requiredParameters: { audience: 'api.atlassian.com', prompt: 'consent' },
    refreshable: (scopes) => scopes.includes('offline_access'),
  });
  /** The sites the person grants on the consent page; by default the one site this server plays. */
  grantedSites: AtlassianSite[] | undefined;
  /** Every call through the gateway, with its `/ex/jira/<cloud id>` prefix. */
  readonly gatewayRequests: string[] = [];
  readonly #viaGateway = new WeakSet<Request>();
  #nextComment = 10100;
  #loopback: Loopback | undefined;

  get url(): string {
    if (!this.#loopback) throw new Error('JiraServer is not started');
    return this.#loopback.url;
  }

  get sites(): AtlassianSite[] {
    return this.grantedSites ?? [{ id: JIRA_CLOUD_ID, url: this.siteUrl, name: 'acme' }];
  }

  async start(): Promise<this> {
    const app = newApp();
    app.use('*', async (c, next) => {
      const url = new URL(c.req.url);
      this.requests.push(`${c.req.method} ${url.pathname}${url.search}`);
      const fault = this.faults.take(`${c.req.method} ${url.pathname}`) ?? this.faults.take(url.pathname);
      if (fault) return faultResponse(fault);
      const auth = c.req.header('authorization') ?? '';
      if (!this.#authorised(auth, this.#viaGateway.has(c.req.raw)))
        return c.json(
          {
            errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
            errors: {},
          },
          401,
        );
      await next();
      if (this.landThenFail.delete(`${c.req.method} ${url.pathname}`))
        c.res = new Response('<html>502 Bad Gateway</html>', { status: 502 });
    });
    app.get('/oauth/token/accessible-resources', (c) => {
      const token = (c.req.header('authorization') ?? '').replace(/^Bearer /, '');
      const scopes = this.bearerTokens.get(token);
      if (!scopes) return c.json({ code: 401, message: 'Unauthorized' }, 401);
      return c.json([{ id: 'cloud-1', url: this.siteUrl, name: 'acme', scopes, avatarUrl: '' }]);
    });
    app.get('/rest/api/3/myself', (c) =>
      c.json({
        accountId: JIRA_BOT_ACCOUNT,
        displayName: 'Factory Bot',
        emailAddress: 'factory@acme.test',
        active: true,
      }),
    );
    app.get('/rest/api/3/user', (c) => {
      const accountId = c.req.query('accountId') ?? '';
      const user = this.users.get(accountId);
      if (!user)
        return c.json(
          {
            errorMessages: [`Specified user does not exist or you do not have required permissions`],
            errors: {},
          },
          404,
        );
      return c.json({
        self: `${this.siteUrl}/rest/api/3/user?accountId=${accountId}`,
        accountId,
        accountType: user.accountType,
        displayName: user.displayName,
        active: true,
      });
    });
    app.get('/rest/api/3/issue/:ref', (c) => {
      const issue = this.#find(c.req.param('ref'));
      return issue ? c.json(this.issueJson(issue)) : notFound(c);
    });
    app.get('/rest/api/3/issue/:ref/transitions', (c) => {
      const issue = this.#find(c.req.param('ref'));
      if (!issue) return notFound(c);
      return c.json({
        expand: 'transitions',
        transitions: JIRA_STATUSES.filter((status) => status.id !== issue.statusId).map((status) => ({
          id: TRANSITION_TO[status.id],
          name: status.name,
          to: statusJson(status),
          hasScreen: false,
          isGlobal: true,
        })),
      });
    });
    app.post('/rest/api/3/issue/:ref/transitions', async (c) => {
      const issue = this.#find(c.req.param('ref'));
      if (!issue) return notFound(c);
      const body = (await c.req.json()) as { transition?: { id?: string } };
      const id = body.transition?.id;
      const target = Object.entries(TRANSITION_TO).find(([, transition]) => transition === id)?.[0];
      if (!target || target === issue.statusId)
        return c.json(
          { errorMessages: [`Transition id '${id}' is not valid for this issue.`], errors: {} },
          400,
        );
      this.transitionsPosted.push({ key: issue.key, id: id as string });
      if (this.#forget()) return c.body(null, 204);
      issue.statusId = target;
      issue.updated = bump(issue.updated);
      return c.body(null, 204);
    });
    // Edit issue: `update.labels` operations (add, remove, set) or `fields.labels` replacing the list.
    app.put('/rest/api/3/issue/:ref', async (c) => {
      const issue = this.#find(c.req.param('ref'));
      if (!issue) return notFound(c);
      const body = (await c.req.json()) as {
        fields?: { labels?: unknown };
        update?: { labels?: Record<string, unknown>[] };
      };
      const operations = body.update?.labels ?? [];
      const labels = [
        ...operations.flatMap((op) => Object.values(op)),
        ...(asArray(body.fields?.labels) ?? []),
      ];
      if (labels.some((label) => typeof label !== 'string' || /\s/.test(label)))
        return c.json({ errorMessages: [], errors: { labels: 'The label must not contain spaces.' } }, 400);
      this.edits.push({ key: issue.key, body });
      if (this.#forget()) return c.body(null, 204);
      let next = asArray(body.fields?.labels) ?? [...issue.labels];
      for (const op of operations) {
        if (typeof op.add === 'string' && !next.includes(op.add)) next.push(op.add);
        if (typeof op.remove === 'string') next = next.filter((label) => label !== op.remove);
        if (Array.isArray(op.set)) next = op.set as string[];
      }
      issue.labels = next as string[];
      issue.updated = bump(issue.updated);
      return c.body(null, 204);
    });
    app.get('/rest/api/3/issue/:ref/comment', (c) => {
      const issue = this.#find(c.req.param('ref'));
      if (!issue) return notFound(c);
      const newestFirst = c.req.query('orderBy') === '-created';
      const all = this.comments.filter((comment) => comment.issueId === issue.id);
      const ordered = newestFirst ? [...all].reverse() : all;
      const max = Number(c.req.query('maxResults') ?? 50);
      return c.json({
        startAt: 0,
        maxResults: max,
        total: all.length,
        comments: ordered.slice(0, max).map((comment) => this.#commentJson(comment, false)),
      });
    });
    app.post('/rest/api/3/issue/:ref/comment', async (c) => {
      const issue = this.#find(c.req.param('ref'));
      if (!issue) return notFound(c);
      const body = (await c.req.json()) as { body?: unknown; properties?: { key: string; value: unknown }[] };
      if (!isAdfDoc(body.body))
        return c.json({ errorMessages: [], errors: { comment: 'Comment body is not valid!' } }, 400);
      const comment = this.addComment(issue.key, JIRA_BOT_ACCOUNT, body.body, body.properties ?? []);
      return c.json(this.#commentJson(comment, false), 201);
    });
    app.post('/rest/api/3/comment/list', async (c) => {
      const withProperties = (c.req.query('expand') ?? '').split(',').includes('properties');
      const { ids } = (await c.req.json()) as { ids?: number[] };
      const wanted = new Set((ids ?? []).map(String));
      const values = this.comments
        .filter((comment) => wanted.has(comment.id))
        .map((comment) => this.#commentJson(comment, withProperties));
      return c.json({ isLast: true, maxResults: 1000, startAt: 0, total: values.length, values });
    });
    this.#loopback = await listen(this.#atlassian(app));
    return this;
  }

  /** Atlassian's hosts in front of the site: the authorization server, the sites list and the gateway. */
  #atlassian(site: Hono): Hono {
    const front = newApp();
    front.get('/authorize', (c) => this.oauth.authorize(new URL(c.req.url)));
    front.post('/oauth/token', (c) => this.oauth.token(c.req.raw));
    front.get('/oauth/token/accessible-resources', (c) => {
      const scopes = this.oauth.scopesOf(bearerOf(c.req.raw));
      if (!scopes) return site.fetch(c.req.raw);
      return c.json(this.sites.map((granted) => ({ ...granted, scopes, avatarUrl: '' })));
    });
    front.all('/ex/jira/:cloudId/*', (c) => this.#throughGateway(c.req.raw, c.req.param('cloudId'), site));
    front.all('*', (c) => site.fetch(c.req.raw));
    return front;
  }

  async #throughGateway(request: Request, cloudId: string, site: Hono): Promise<Response> {
    const url = new URL(request.url);
    this.gatewayRequests.push(`${request.method} ${url.pathname}${url.search}`);
    if (!this.oauth.scopesOf(bearerOf(request)))
      return Response.json({ code: 401, message: 'Unauthorized' }, { status: 401 });
    if (!this.sites.some((granted) => granted.id === cloudId))
      return Response.json({ code: 404, message: 'Not Found' }, { status: 404 });
    url.pathname = url.pathname.replace(/^\/ex\/jira\/[^/]+/, '');
    const body =
      request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
    const forwarded = new Request(url, { method: request.method, headers: request.headers, body });
    this.#viaGateway.add(forwarded);
    return site.fetch(forwarded);
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  addIssue(issue: JiraIssueRecord): void {
    this.issues.set(issue.key, structuredClone(issue));
  }

  /** A comment written in Jira (by a person, or through the API). */
  addComment(
    key: string,
    authorAccountId: string,
    body: unknown,
    properties: { key: string; value: unknown }[] = [],
  ) {
    const issue = this.issues.get(key);
    if (!issue) throw new Error(`no issue ${key}`);
    const comment: JiraCommentRecord = {
      id: String(this.#nextComment++),
      issueId: issue.id,
      authorAccountId,
      body,
      properties,
      created: '2026-01-01T12:00:00.000+0000',
    };
    this.comments.push(comment);
    return comment;
  }

  commentsOn(key: string): JiraCommentRecord[] {
    const issue = this.issues.get(key);
    return this.comments.filter((comment) => comment.issueId === issue?.id);
  }

  statusOf(key: string): JiraStatusRecord | undefined {
    const issue = this.issues.get(key);
    return JIRA_STATUSES.find((status) => status.id === issue?.statusId);
  }

  failNext(path: string, ...faults: Fault[]): void {
    this.faults.add(path, ...faults);
  }

  issueJson(issue: JiraIssueRecord): Record<string, unknown> {
    const status = JIRA_STATUSES.find((candidate) => candidate.id === issue.statusId) as JiraStatusRecord;
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.siteUrl}/rest/api/3/issue/${issue.id}`,
      key: issue.key,
      fields: {
        summary: issue.summary,
        description: issue.description,
        labels: issue.labels,
        status: statusJson(status),
        project: { id: issue.projectId, key: issue.projectKey, name: issue.projectKey },
        issuetype: { id: issue.issueTypeId, name: 'Story' },
        updated: issue.updated,
        reporter: issue.reporterAccountId ? this.#userJson(issue.reporterAccountId) : null,
        assignee: issue.assigneeAccountId ? this.#userJson(issue.assigneeAccountId) : null,
      },
    };
  }

  #forget(): boolean {
    if (this.forgetWrites <= 0) return false;
    this.forgetWrites--;
    return true;
  }

  #find(ref: string): JiraIssueRecord | undefined {
    return this.issues.get(ref) ?? [...this.issues.values()].find((issue) => issue.id === ref);
  }

  #commentJson(comment: JiraCommentRecord, withProperties: boolean): Record<string, unknown> {
    return {
      self: `${this.siteUrl}/rest/api/3/issue/${comment.issueId}/comment/${comment.id}`,
      id: comment.id,
      author: { accountId: comment.authorAccountId, displayName: comment.authorAccountId },
      body: comment.body,
      created: comment.created,
      updated: comment.created,
      ...(withProperties ? { properties: comment.properties } : {}),
    };
  }

  #userJson(accountId: string): Record<string, unknown> {
    const user = this.users.get(accountId);
    return {
      accountId,
      accountType: user?.accountType ?? 'atlassian',
      displayName: user?.displayName ?? accountId,
    };
  }

  #authorised(header: string, viaGateway: boolean): boolean {
    if (header.startsWith('Bearer ')) {
      const token = header.slice(7);
      return this.bearerTokens.has(token) || (viaGateway && this.oauth.scopesOf(token) !== undefined);
    }
    if (!header.startsWith('Basic ')) return false;
    const [email, token] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return email !== undefined && this.basicUsers.get(email) === token;
  }
}

function bearerOf(request: Request): string {
  return (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
}

function statusJson(status: JiraStatusRecord): Record<string, unknown> {
  const categories = { new: 2, indeterminate: 4, done: 3 };
  return {
    id: status.id,
    name: status.name,
    statusCategory: { id: categories[status.category], key: status.category, name: status.category },
  };
}

function notFound(c: { json: (body: unknown, status: 404) => Response }): Response {
  return c.json(
    { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
    404,
  );
}

function asArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function isAdfDoc(value: unknown): boolean {
  const doc = value as { type?: unknown; version?: unknown; content?: unknown } | null;
  return doc?.type === 'doc' && doc.version === 1 && Array.isArray(doc.content);
}

/** Jira's own time format, a second later. */
function bump(updated: string): string {
  const next = new Date(Date.parse(updated.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) + 1000);
  return next.toISOString().replace('Z', '+0000');
}
