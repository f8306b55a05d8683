import {
  type AgentStatus,
  defaultSleep,
  type FleetClient,
  type SpawnedAgent,
  type SpawnOptions,
  type SpawnRequest,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import {
  DEFAULT_RETRY_POLICY,
  FleetRequestError,
  fetchWithRetry,
  type HttpClientOptions,
  parseServiceUrl,
  resolveHttpClient,
  type Sleep,
} from './retrying-fetch.ts';
import { runNameFor, runStatus, type WorkflowRun, workflowRunSchema } from './workflow-run.ts';

/** What a token function is asked for: the repository a call acts on, and whether the last token was refused. */
export interface GithubTokenRequest {
  /** `owner/repo`: a GitHub App acts as its installation on that repository. */
  repository: string;
  /** True after GitHub answered 401 with the previous token: exchange a new one, do not hand back the cached one. */
  refresh: boolean;
}

export interface GithubActionsFleetOptions extends HttpClientOptions {
  /**
   * A token with `actions:write` on the target repositories, or a function that returns a fresh one
   * (a GitHub App's installation token for the repository, see `GithubTokenRequest`).
   */
  token: string | ((request: GithubTokenRequest) => Promise<string>);
  /** The workflow file name (or id) in the target repository. */
  workflow?: string;
  /** The git ref the workflow runs from. */
  ref?: string;
  /** The repository the agent works in; defaults to the route's repository. */
  repository?: string;
  /** REST API base URL; GitHub Enterprise Server uses `https://HOST/api/v3`. */
  baseUrl?: string;
  /** After a dispatch whose answer was lost, how often to look for the run before dispatching again. */
  settleChecks?: number;
  settleDelayMs?: number;
  /** Pages of recent workflow_dispatch runs searched when finding a run by its name. */
  searchPages?: number;
  name?: string;
}

// GitHub limits a dispatch to 25 inputs and the whole inputs payload to 65,535 characters.
const MAX_INPUTS_CHARS = 65_535;

const runsSchema = z.object({
  total_count: z.optional(z.number()),
  workflow_runs: z.array(workflowRunSchema),
});

/**
 * Runs each agent as a GitHub Actions workflow run in the target repository. The agent id is
 * `<owner>/<repo>:<run name>`; the run name carries the idempotency key, so a spawn retried after a lost
 * answer finds the first run instead of dispatching a second one.
 */
export class GithubActionsFleet implements FleetClient {
  readonly name: string;
  readonly #token: (request: GithubTokenRequest) => Promise<string>;
  /** A fixed token cannot be refreshed: a 401 is final. */
  readonly #fixedToken: boolean;
  readonly #workflow: string;
  readonly #ref: string;
  readonly #repository: string | undefined;
  readonly #baseUrl: URL;
  readonly #settleChecks: number;
  readonly #settleDelayMs: number;
  readonly #searchPages: number;
  readonly #http: HttpClientOptions;
  readonly #sleep: Sleep;

  constructor(options: GithubActionsFleetOptions) {
    this.#sleep = options.sleep ?? defaultSleep;
    const token = options.token;
    if (!token) throw new Error('GithubActionsFleet: a token is required');
    this.#token = typeof token === 'string' ? async () => token : token;
    this.#fixedToken = typeof token === 'string';
    this.#workflow = nonEmpty('workflow', options.workflow ?? 'factory-agent.yml');
    this.#ref = nonEmpty('ref', options.ref ?? 'main');
    if (options.repository !== undefined) parseRepository(options.repository);
    this.#repository = options.repository;
    this.#baseUrl = parseServiceUrl(
      'GithubActionsFleet',
      'baseUrl',
      options.baseUrl ?? 'https://api.github.com',
    );
    this.#settleChecks = count('settleChecks', options.settleChecks ?? 5, 0);
    this.#settleDelayMs = count('settleDelayMs', options.settleDelayMs ?? 2_000, 0);
    this.#searchPages = count('searchPages', options.searchPages ?? 3, 1);
    this.name = options.name ?? 'github-actions';
    this.#http = resolveHttpClient('GithubActionsFleet', options);
  }

  async spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
    // A run is found by its name before one is dispatched: past the deadline another performer may be
    // looking too, so nothing is asked or dispatched after it.
    const signal = options?.signal;
    signal?.throwIfAborted();
    const repository = this.#repository ?? request.route.repository;
    const { owner, repo } = parseRepository(repository);
    const runName = runNameFor(request.idempotencyKey);
    const agentId = `${owner}/${repo}:${runName}`;
    const inputs = {
      work_item_key: request.workItemKey,
      idempotency_key: request.idempotencyKey,
      branch: request.branch,
      task: request.task,
    };
    if (JSON.stringify(inputs).length > MAX_INPUTS_CHARS)
      throw new Error(
        `GithubActionsFleet: the task for ${request.workItemKey} is too long for workflow inputs`,
      );

    const attempts = this.#http.retry?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (await this.#findRun(owner, repo, runName, signal)) return { agentId };
      try {
        signal?.throwIfAborted();
        await this.#dispatch(owner, repo, inputs, signal);
        return { agentId };
      } catch (error) {
        // The dispatch may have been applied although its answer was lost. GitHub lists a new run a few
        // seconds after the dispatch: look for it before dispatching again.
        if (!(error instanceof FleetRequestError) || !error.ambiguous) throw error;
        lastError = error;
        for (let check = 0; check < this.#settleChecks; check++) {
          await this.#sleep(this.#settleDelayMs);
          if (await this.#findRun(owner, repo, runName, signal)) return { agentId };
        }
      }
    }
    throw lastError;
  }

  async #dispatch(
    owner: string,
    repo: string,
    inputs: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const path = `repos/${owner}/${repo}/actions/workflows/${encodeURIComponent(this.#workflow)}/dispatches`;
    const body = { ref: this.#ref, inputs };
    const response = await this.#call(`${owner}/${repo}`, 'POST', path, body, false, signal);
    if (response.status !== 204 && response.status !== 200) throw await githubError('dispatch', response);
    await response.body?.cancel();
  }

  async status(agentId: string): Promise<AgentStatus> {
    const { owner, repo, runName } = parseAgentId(agentId);
    const run = await this.#findRun(owner, repo, runName);
    return run ? runStatus(run) : { state: 'unknown' };
  }

  async release(agentId: string): Promise<void> {
    const { owner, repo, runName } = parseAgentId(agentId);
    const run = await this.#findRun(owner, repo, runName);
    if (!run || run.status === 'completed') return;
    const response = await this.#call(
      `${owner}/${repo}`,
      'POST',
      `repos/${owner}/${repo}/actions/runs/${run.id}/cancel`,
    );
    await response.body?.cancel();
    // 409: the run finished between the look-up and the cancel, which is what release wants anyway.
    if (response.ok || response.status === 404 || response.status === 409) return;
    throw await githubError('cancel', response);
  }

  /** The newest workflow_dispatch run whose run name (or, on older servers, name) is `runName`. */
  async #findRun(
    owner: string,
    repo: string,
    runName: string,
    signal?: AbortSignal,
  ): Promise<WorkflowRun | undefined> {
    for (let page = 1; page <= this.#searchPages; page++) {
      const query = new URLSearchParams({ event: 'workflow_dispatch', per_page: '100', page: String(page) });
      const response = await this.#call(
        `${owner}/${repo}`,
        'GET',
        `repos/${owner}/${repo}/actions/runs?${query}`,
        undefined,
        true,
        signal,
      );
      if (!response.ok) throw await githubError('list runs', response);
      const parsed = runsSchema.safeParse(await response.json());
      if (!parsed.success)
        throw new Error('GithubActionsFleet: unexpected answer when listing workflow runs');
      const runs = parsed.data.workflow_runs;
      const match = runs.find((run) => run.display_title === runName || run.name === runName);
      if (match) return match;
      if (runs.length < 100) return undefined;
    }
    return undefined;
  }

  /**
   * One call as `repository`'s token. A 401 means GitHub refused the token and did nothing (an App's
   * installation token expired or was revoked early): the token is asked for again with `refresh` and
   * the call made once more, so a dispatch is never sent twice for it.
   */
  async #call(
    repository: string,
    method: string,
    path: string,
    body?: unknown,
    retryAmbiguous = true,
    signal?: AbortSignal,
  ): Promise<Response> {
    const first = await this.#send(repository, false, method, path, body, retryAmbiguous, signal);
    if (first.status !== 401 || this.#fixedToken) return first;
    await first.body?.cancel();
    return this.#send(repository, true, method, path, body, retryAmbiguous, signal);
  }

  async #send(
    repository: string,
    refresh: boolean,
    method: string,
    path: string,
    body: unknown,
    retryAmbiguous: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = new URL(path, this.#baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return fetchWithRetry(
      async () => {
        const headers: Record<string, string> = {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${await this.#token({ repository, refresh })}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': '@software-factory/fleets',
        };
        if (payload !== undefined) headers['content-type'] = 'application/json';
        return new Request(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      },
      this.#http,
      retryAmbiguous,
      signal,
    );
  }
}

function parseRepository(repository: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repository);
  const dots = (part: string | undefined) => part === '.' || part === '..';
  if (!match?.[1] || !match[2] || dots(match[1]) || dots(match[2]))
    throw new Error(`GithubActionsFleet: repository must be "owner/repo", got "${repository}"`);
  return { owner: match[1], repo: match[2] };
}

function nonEmpty(field: string, value: string): string {
  if (!value.trim()) throw new Error(`GithubActionsFleet: ${field} must not be empty`);
  return value;
}

function count(field: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum)
    throw new Error(`GithubActionsFleet: ${field} must be a whole number of at least ${minimum}`);
  return value;
}

export function parseAgentId(agentId: string): { owner: string; repo: string; runName: string } {
  const separator = agentId.indexOf(':');
  if (separator < 0) throw new Error(`GithubActionsFleet: "${agentId}" is not an agent id of this fleet`);
  const { owner, repo } = parseRepository(agentId.slice(0, separator));
  return { owner, repo, runName: agentId.slice(separator + 1) };
}

async function githubError(operation: string, response: Response): Promise<FleetRequestError> {
  let message = '';
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === 'string') message = `: ${body.message.slice(0, 200)}`;
  } catch {
    // the status alone has to do
  }
  return new FleetRequestError(
    `GitHub ${operation} answered ${response.status}${message}`,
    response.status,
    false,
  );
}
