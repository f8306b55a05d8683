import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { BENCH_PERSON } from '../bench-tenant.ts';
import { seededRandom } from '../random.ts';

export interface VendorServerOptions {
  /** Share of requests answered 429 or 5xx instead of being served (0 = none). */
  faultRate?: number;
  seed?: number;
}

const STATES = [
  { id: 'state-backlog', name: 'Backlog', type: 'backlog', position: 0 },
  { id: 'state-todo', name: 'Todo', type: 'unstarted', position: 1 },
  { id: 'state-started', name: 'In Progress', type: 'started', position: 2 },
  { id: 'state-done', name: 'Done', type: 'completed', position: 3 },
];
const FAULTS = [429, 500, 502, 503] as const;

/**
 * Linear's GraphQL endpoint, Slack's Web API and GitHub's REST API (a pull request's comments included)
 * on one loopback port, with the few operations the direct providers send, answered as the vendors answer them. It keeps what landed
 * (state moves, comments, chat posts) and can refuse a share of requests with 429 (`Retry-After: 0`)
 * or a 5xx, drawn from a seeded generator, before doing anything.
 */
export class VendorServer {
  /** Linear state moves that landed: issue id → state ids in order. */
  readonly moves = new Map<string, string[]>();
  readonly comments = new Map<string, { issueId: string; body: string }>();
  readonly slackPosts: { ts: string; text: string }[] = [];
  /** Comments on pull requests (a pull request's conversation is an issue's): `owner/repo#n` → bodies. */
  readonly pullComments = new Map<string, string[]>();
  /** Linear issues as a delivery's `data` carries them (labels as a list), with their current state. */
  readonly issues = new Map<string, Record<string, unknown>>();
  readonly faults: Record<string, number> = {};
  requests = 0;
  readonly #faultRate: number;
  readonly #random: () => number;
  #server: ReturnType<typeof serve> | undefined;
  url = '';

  constructor(options: VendorServerOptions = {}) {
    this.#faultRate = options.faultRate ?? 0;
    this.#random = seededRandom(options.seed ?? 1);
  }

  async start(): Promise<this> {
    const app = this.#app();
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
    });
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** Makes an issue exist in the loopback Linear, as the delivery announcing it describes it. */
  addLinearIssue(data: Record<string, unknown>): void {
    this.issues.set(String(data.id), structuredClone(data));
  }

  /** The state an issue was last moved to, or undefined. */
  lastState(issueId: string): string | undefined {
    return this.moves.get(issueId)?.at(-1);
  }

  #app(): Hono {
    const app = new Hono();
    app.use(async (c, next) => {
      this.requests += 1;
      if (this.#faultRate > 0 && this.#random() < this.#faultRate) {
        const status = FAULTS[Math.floor(this.#random() * FAULTS.length)] as (typeof FAULTS)[number];
        this.faults[status] = (this.faults[status] ?? 0) + 1;
        return c.json({ message: 'injected fault' }, status, status === 429 ? { 'retry-after': '0' } : {});
      }
      await next();
    });

    app.post('/linear/graphql', async (c) => {
      const { operationName, variables = {} } = (await c.req.json()) as {
        operationName?: string;
        variables?: Record<string, unknown>;
      };
      switch (operationName) {
        case 'FactoryViewer':
          return c.json({
            data: {
              viewer: { id: 'user-bench', name: 'Bench', email: 'bench@example.com' },
              organization: { id: 'org-bench', name: 'Bench', urlKey: 'bench' },
            },
          });
        case 'FactoryTeamStates':
          return c.json({
            data: { team: { id: variables.teamId, key: 'BEN', states: { nodes: STATES } } },
          });
        case 'FactoryIssueSetState': {
          const id = String(variables.id);
          const issue = this.issues.get(id);
          if (!issue) return c.json({ errors: [{ message: 'Entity not found: Issue' }] }, 400);
          const input = (variables.input ?? {}) as { stateId?: string };
          if (input.stateId !== undefined) {
            const state = STATES.find((candidate) => candidate.id === input.stateId);
            if (!state) return c.json({ errors: [{ message: 'Entity not found: WorkflowState' }] }, 400);
            issue.state = { id: state.id, name: state.name, type: state.type };
            this.moves.set(id, [...(this.moves.get(id) ?? []), state.id]);
          }
          return c.json({ data: { issueUpdate: { success: true, issue: { id, state: issue.state } } } });
        }
        case 'FactoryCommentCreate': {
          const input = variables.input as { id: string; issueId: string; body: string };
          if (this.comments.has(input.id))
            return c.json(
              { errors: [{ message: 'duplicate key value', extensions: { type: 'invalid input' } }] },
              400,
            );
          this.comments.set(input.id, { issueId: input.issueId, body: input.body });
          return c.json({ data: { commentCreate: { success: true, comment: { id: input.id } } } });
        }
        case 'FactoryIssue': {
          const issue = this.issues.get(String(variables.id));
          if (!issue) return c.json({ data: { issue: null } });
          const { labels, ...fields } = issue;
          return c.json({ data: { issue: { ...fields, labels: { nodes: labels ?? [] } } } });
        }
        case 'FactoryComment': {
          const id = String(variables.id);
          return c.json({ data: { comment: this.comments.has(id) ? { id } : null } });
        }
        default:
          return c.json({ errors: [{ message: `unknown operation ${operationName}` }] }, 400);
      }
    });

    app.post('/slack/api/:method', async (c) => {
      const scopes = { 'x-oauth-scopes': 'chat:write,channels:history,channels:read' };
      switch (c.req.param('method')) {
        case 'auth.test':
          return c.json({ ok: true, user_id: 'UBENCHBOT', user: 'factory', team: 'bench' }, 200, scopes);
        case 'chat.postMessage': {
          const form = await c.req.parseBody();
          const ts = `1767225800.${String(this.slackPosts.length + 1).padStart(6, '0')}`;
          this.slackPosts.push({ ts, text: String(form.text ?? '') });
          return c.json({ ok: true, ts, channel: form.channel });
        }
        case 'chat.getPermalink':
          return c.json({ ok: true, permalink: 'https://bench.slack.example/archives/x' });
        case 'conversations.history':
        case 'conversations.replies':
          return c.json({ ok: true, messages: [], has_more: false });
        case 'conversations.members':
          // The person who answers is a member of the channel, so their replies count.
          return c.json({ ok: true, members: [BENCH_PERSON], response_metadata: { next_cursor: '' } });
        default:
          return c.json({ ok: false, error: 'unknown_method' });
      }
    });

    app.get('/github/user', (c) => c.json({ login: 'bench', id: 1 }, 200, { 'x-oauth-scopes': 'repo' }));
    app.get('/github/repos/:owner/:repo/pulls', (c) => c.json([]));
    // A review's line remarks: the soak's reviewers write none.
    app.get('/github/repos/:owner/:repo/pulls/:number/reviews/:review/comments', (c) => c.json([]));
    const pull = (c: { req: { param(name: string): string } }) =>
      `${c.req.param('owner')}/${c.req.param('repo')}#${c.req.param('number')}`;
    app.get('/github/repos/:owner/:repo/issues/:number', (c) =>
      c.json({
        number: Number(c.req.param('number')),
        comments: this.pullComments.get(pull(c))?.length ?? 0,
      }),
    );
    app.get('/github/repos/:owner/:repo/issues/:number/comments', (c) => {
      const perPage = Number(c.req.query('per_page') ?? 30);
      const page = Number(c.req.query('page') ?? 1);
      const all = (this.pullComments.get(pull(c)) ?? []).map((body, index) => ({ id: index + 1, body }));
      return c.json(all.slice((page - 1) * perPage, page * perPage));
    });
    app.post('/github/repos/:owner/:repo/issues/:number/comments', async (c) => {
      const { body } = (await c.req.json()) as { body: string };
      const list = [...(this.pullComments.get(pull(c)) ?? []), body];
      this.pullComments.set(pull(c), list);
      return c.json({ id: list.length, body }, 201);
    });
    app.all('/github/*', (c) => c.json({ message: 'Not Found' }, 404));
    return app;
  }
}
