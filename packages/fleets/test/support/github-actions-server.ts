import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { Hono } from 'hono';
import { parse } from 'yaml';
import { type AfterApply, hang, type Loopback, type LoopbackApp, listen } from './loopback.ts';

type RunTemplate = Record<string, unknown> & { id: number; status: string; conclusion: string | null };

/** A real `workflow_run` object from GitHub's published webhook examples, used as the shape of every run. */
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

export function workflowRunExample(): RunTemplate {
  const definition = examples.find((example) => example.name === 'workflow_run');
  const example = definition?.examples.find(
    (candidate) =>
      (candidate as { workflow_run?: { conclusion?: string } }).workflow_run?.conclusion === 'success',
  ) as { workflow_run: RunTemplate } | undefined;
  if (!example) throw new Error('no workflow_run example in @octokit/webhooks-examples');
  return structuredClone(example.workflow_run);
}

interface ExampleWorkflow {
  name: string;
  'run-name': string;
  on: { workflow_dispatch: { inputs: Record<string, { required?: boolean }> } };
}

/** The package's example workflow: the server names runs and checks inputs the way that file says. */
export function exampleWorkflow(): ExampleWorkflow {
  return parse(
    readFileSync(new URL('../../examples/factory-agent.yml', import.meta.url), 'utf8'),
  ) as ExampleWorkflow;
}

export interface Dispatch {
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
}

/**
 * GitHub's REST API for workflow dispatches and runs, as far as the fleet uses it: dispatching creates a
 * run whose display title is the workflow's `run-name` with the inputs filled in; runs are listed newest
 * first; cancelling a finished run is a 409.
 */
export class GithubActionsServer {
  readonly runs: (RunTemplate & { owner: string; repo: string; inputs: Record<string, string> })[] = [];
  readonly dispatches: Dispatch[] = [];
  readonly cancelled: number[] = [];
  readonly dispatchFaults: AfterApply[] = [];
  /** Runs a dispatch creates are listed only after this many further list requests (GitHub's lag). */
  listingLag = 0;
  #nextRunId = 9_000_001;
  #loopback: Loopback | undefined;
  readonly #workflow = exampleWorkflow();
  readonly #hidden = new Map<number, number>();

  /** The token GitHub accepts; tests rotate it to play a token that expired. */
  token: string;
  /** Whether a token is good; by default, it is `token`. A GitHub App's issuer is asked instead. */
  accepts: (token: string) => boolean = (token) => token === this.token;
  /** Answers the requests it knows before the token is checked (a GitHub App's JWT endpoints). */
  answerFirst: ((request: Request) => Promise<Response | undefined>) | undefined;
  /** Every request's method and path, in order. */
  readonly requests: string[] = [];

  constructor(token: string) {
    this.token = token;
  }

  get url(): string {
    if (!this.#loopback) throw new Error('server not started');
    return this.#loopback.url;
  }

  async start(): Promise<this> {
    this.#loopback = await listen(this.#app());
    return this;
  }

  close(): Promise<void> {
    return this.#loopback?.close() ?? Promise.resolve();
  }

  /** The workflow run finishes, as GitHub would report it. */
  finish(runId: number, conclusion: 'success' | 'failure' | 'cancelled'): void {
    const run = this.runs.find((candidate) => candidate.id === runId);
    if (run) Object.assign(run, { status: 'completed', conclusion });
  }

  runsFor(idempotencyKey: string) {
    return this.runs.filter((run) => run.inputs.idempotency_key === idempotencyKey);
  }

  #runName(inputs: Record<string, string>): string {
    return this.#workflow['run-name'].replace(
      /\$\{\{\s*inputs\.([a-z_]+)\s*\}\}/g,
      (_, name: string) => inputs[name] ?? '',
    );
  }

  #app(): LoopbackApp {
    const app: LoopbackApp = new Hono();
    app.use('*', async (c, next) => {
      this.requests.push(`${c.req.method} ${new URL(c.req.url).pathname}`);
      const answered = await this.answerFirst?.(c.req.raw);
      if (answered) return answered;
      const token = (c.req.header('authorization') ?? '').replace(/^Bearer /, '');
      if (!this.accepts(token))
        return c.json({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }, 401);
      if (c.req.header('x-github-api-version') !== '2022-11-28')
        return c.json({ message: 'Unsupported API version' }, 400);
      await next();
    });

    app.post('/repos/:owner/:repo/actions/workflows/:workflow/dispatches', async (c) => {
      const { owner, repo, workflow } = c.req.param();
      if (workflow !== 'factory-agent.yml') return c.json({ message: 'Not Found' }, 404);
      const body = (await c.req.json()) as { ref?: unknown; inputs?: Record<string, unknown> };
      if (typeof body.ref !== 'string')
        return c.json({ message: 'Invalid request.\n\n"ref" wasn\'t supplied.' }, 422);
      const declared = this.#workflow.on.workflow_dispatch.inputs;
      const inputs = body.inputs ?? {};
      const unexpected = Object.keys(inputs).filter((name) => !(name in declared));
      if (unexpected.length > 0)
        return c.json({ message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` }, 422);
      const missing = Object.entries(declared)
        .filter(([name, input]) => input.required && typeof inputs[name] !== 'string')
        .map(([name]) => name);
      if (missing.length > 0) return c.json({ message: `Required input '${missing[0]}' not provided` }, 422);

      const stringInputs = inputs as Record<string, string>;
      this.dispatches.push({ owner, repo, workflow, ref: body.ref, inputs: stringInputs });
      const id = this.#nextRunId++;
      const title = this.#runName(stringInputs);
      this.runs.unshift({
        ...workflowRunExample(),
        id,
        name: this.#workflow.name,
        display_title: title,
        event: 'workflow_dispatch',
        status: 'queued',
        conclusion: null,
        head_branch: body.ref,
        html_url: `https://github.com/${owner}/${repo}/actions/runs/${id}`,
        owner,
        repo,
        inputs: stringInputs,
      });
      if (this.listingLag > 0) this.#hidden.set(id, this.listingLag);
      const fault = this.dispatchFaults.shift() ?? 'answer';
      if (fault === 'hang') return hang();
      if (fault === 'drop') {
        c.env.incoming.socket.destroy();
        return hang();
      }
      if (fault === 'fail-502') return c.json({ message: 'Server Error' }, 502);
      return c.body(null, 204);
    });

    app.get('/repos/:owner/:repo/actions/runs', (c) => {
      const { owner, repo } = c.req.param();
      const event = c.req.query('event');
      const perPage = Math.min(100, Number(c.req.query('per_page') ?? 30));
      const page = Number(c.req.query('page') ?? 1);
      for (const [id, remaining] of this.#hidden) {
        if (remaining <= 0) this.#hidden.delete(id);
        else this.#hidden.set(id, remaining - 1);
      }
      const matching = this.runs.filter(
        (run) =>
          run.owner === owner &&
          run.repo === repo &&
          (!event || run.event === event) &&
          !this.#hidden.has(run.id),
      );
      const workflow_runs = matching
        .slice((page - 1) * perPage, page * perPage)
        .map(({ owner: _o, repo: _r, inputs: _i, ...run }) => run);
      return c.json({ total_count: matching.length, workflow_runs });
    });

    app.post('/repos/:owner/:repo/actions/runs/:id/cancel', (c) => {
      const run = this.runs.find((candidate) => candidate.id === Number(c.req.param('id')));
      if (!run) return c.json({ message: 'Not Found' }, 404);
      if (run.status === 'completed')
        return c.json({ message: 'Cannot cancel a workflow run that is completed.' }, 409);
      Object.assign(run, { status: 'completed', conclusion: 'cancelled' });
      this.cancelled.push(run.id);
      return c.json({}, 202);
    });
    return app;
  }
}
