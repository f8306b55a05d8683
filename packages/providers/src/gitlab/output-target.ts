import type {
  ConnectionStatus,
  Fetch,
  OutputFeedbackEvent,
  OutputSnapshot,
  OutputTarget,
  RetryOptions,
  WriteOptions,
} from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { keyDigest } from '../shared/deterministic-uuid.ts';
import { JsonRestClient } from '../shared/json-rest-client.ts';
import { parseConfig, scopeStatus } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import { withHiddenTrace } from '../shared/trace-metadata.ts';
import { writeOnce } from '../shared/write-once.ts';
import { GitlabFeedback, type GitlabFeedbackConfig } from './feedback-events.ts';
import {
  gitlabTimeToIso,
  mergeRequestSchema,
  parseMergeRequestId,
  parseProjectPath,
  sourceInTargetProject,
  toGitlabOutput,
} from './merge-request.ts';
import { GITLAB_NOTE_MARKER } from './note-marker.ts';

/**
 * `api`: read merge requests and write the notes of review feedback rounds on them (`read_api` reads
 * only).
 */
export const GITLAB_REQUIRED_SCOPES = ['api'] as const;

export const gitlabConfigSchema = z.strictObject({
  provider: z._default(z.string().check(z.minLength(1)), 'gitlab'),
  /** The GitLab instance: https://gitlab.com or a self-managed host; the API is under `/api/v4`. */
  baseUrl: z._default(z.url({ protocol: /^https?$/ }), 'https://gitlab.com'),
});
export type GitlabConfig = z.input<typeof gitlabConfigSchema>;

export interface GitlabTargetOptions extends GitlabConfig {
  /** A personal, project or group access token, or an OAuth token. */
  token?: TokenSource;
  fetch?: Fetch;
  retry?: RetryOptions;
  /** Which feedback on its merge requests goes back to the agent: read by its webhook source and `feedbackSince`. */
  feedback?: GitlabFeedbackConfig;
}

/** Notes per page of `GET …/notes` (GitLab's most), and the pages read: a thousand notes. */
const NOTES_PER_PAGE = 100;
const NOTE_PAGES = 10;

/** GitLab merge requests as the factory's outputs, read through the REST API v4. */
export class GitlabOutputTarget implements OutputTarget {
  readonly provider: string;
  readonly requiredScopes = GITLAB_REQUIRED_SCOPES;
  readonly client: JsonRestClient;
  /**
   * Which feedback on its merge requests goes back to the agent, and from whom: its webhook source reads
   * notes and pipelines with it, and `feedbackSince` what it lists.
   */
  readonly feedback: GitlabFeedback;

  constructor(options: GitlabTargetOptions = {}) {
    const { token, fetch, retry, feedback, ...config } = options;
    const parsed = parseConfig(gitlabConfigSchema, config, 'GitLab output target');
    this.provider = parsed.provider;
    this.feedback = new GitlabFeedback(feedback);
    this.client = new JsonRestClient({
      provider: this.provider,
      vendor: 'GitLab',
      baseUrl: `${parsed.baseUrl.replace(/\/+$/, '')}/api/v4`,
      ...(token !== undefined ? { token } : {}),
      reasonOf: (body) => {
        const error = body as { message?: unknown; error?: unknown; error_description?: unknown } | undefined;
        const reason = error?.message ?? error?.error_description ?? error?.error;
        return reason === undefined
          ? undefined
          : typeof reason === 'string'
            ? reason
            : JSON.stringify(reason);
      },
      ...(fetch ? { fetch } : {}),
      ...(retry ? { retry } : {}),
    });
  }

  async getOutput(id: string): Promise<OutputSnapshot | undefined> {
    const { project, iid } = parseMergeRequestId(id);
    try {
      const { body } = await this.client.request<unknown>(
        'GET',
        `/projects/${encodeURIComponent(project)}/merge_requests/${iid}`,
      );
      return toGitlabOutput(mergeRequestSchema.parse(body), project);
    } catch (error) {
      if (error instanceof ProviderApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async findOutput(repository: string, branch: string): Promise<OutputSnapshot | undefined> {
    const project = parseProjectPath(repository);
    const { body } = await this.client.request<unknown[]>(
      'GET',
      `/projects/${encodeURIComponent(project)}/merge_requests`,
      {
        query: { source_branch: branch, state: 'all', order_by: 'updated_at', sort: 'desc', per_page: 10 },
      },
    );
    const requests = (Array.isArray(body) ? body : [])
      .map((request) => mergeRequestSchema.parse(request))
      .filter((request) => request.source_branch === branch && sourceInTargetProject(request));
    // An open merge request wins over older closed attempts from the same branch.
    const chosen = requests.find((request) => request.state === 'opened') ?? requests[0];
    return chosen ? toGitlabOutput(chosen, project) : undefined;
  }

  /**
   * A note on the merge request, once per idempotency key: the key's digest rides in a hidden marker,
   * and a note that carries it already (an earlier attempt) is not written again.
   */
  async postComment(outputId: string, body: string, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const { project, iid } = parseMergeRequestId(outputId);
    const { signal } = options;
    const notes = `/projects/${encodeURIComponent(project)}/merge_requests/${iid}/notes`;
    const marker = `${GITLAB_NOTE_MARKER} ${await keyDigest(options.idempotencyKey)} -->`;
    const exists = async () => {
      // Newest first: an earlier attempt of this write is among the latest notes.
      const { body: recent } = await this.client.request<{ body?: unknown }[]>('GET', notes, {
        query: { sort: 'desc', order_by: 'created_at', per_page: 100 },
        signal,
      });
      return Array.isArray(recent) && recent.some((note) => String(note.body ?? '').includes(marker));
    };
    await writeOnce(exists, async () => {
      await this.client.request('POST', notes, {
        body: { body: `${withHiddenTrace(body, options.traceId)}\n\n${marker}` },
        notIdempotent: true,
        signal,
      });
      return true;
    });
  }

  /**
   * The feedback on the merge request since `since`, as its hooks bring it (`GitlabFeedback.listedFeedback`):
   * the notes addressed to the agent, and its latest pipeline when it failed. GitLab lists no notes by
   * time, so they are read newest first until a page reaches back past `since`.
   */
  async feedbackSince(
    output: OutputSnapshot,
    since: number,
    known: ReadonlySet<string>,
  ): Promise<OutputFeedbackEvent[]> {
    const { project, iid } = parseMergeRequestId(output.id);
    const mergeRequest = `/projects/${encodeURIComponent(project)}/merge_requests/${iid}`;
    try {
      const notes = await this.#notesSince(`${mergeRequest}/notes`, since);
      const { body: pipelines } = await this.client.request<unknown>('GET', `${mergeRequest}/pipelines`, {
        query: { per_page: 1 },
      });
      const latestPipeline = Array.isArray(pipelines) ? pipelines[0] : undefined;
      return await this.feedback.listedFeedback(
        { notes, latestPipeline },
        output,
        { since, known },
        async (id) => {
          const { body } = await this.client.request<unknown>(
            'GET',
            `/projects/${encodeURIComponent(project)}/pipelines/${id}/jobs`,
            { query: { scope: 'failed', per_page: 100 } },
          );
          return Array.isArray(body) ? body : [];
        },
      );
    } catch (error) {
      if (error instanceof ProviderApiError && error.status === 404) return [];
      throw error;
    }
  }

  /** The notes, newest first, page after page until one reaches back past `since` (at most a thousand). */
  async #notesSince(path: string, since: number): Promise<unknown[]> {
    const listed: unknown[] = [];
    for (let page = 1; page <= NOTE_PAGES; page++) {
      const { body } = await this.client.request<unknown>('GET', path, {
        query: { sort: 'desc', order_by: 'created_at', per_page: NOTES_PER_PAGE, page },
      });
      const onPage = Array.isArray(body) ? body : [];
      listed.push(...onPage);
      const oldest = (onPage.at(-1) as { created_at?: unknown } | undefined)?.created_at;
      if (onPage.length < NOTES_PER_PAGE || Date.parse(gitlabTimeToIso(String(oldest)) ?? '') < since) break;
    }
    return listed;
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      const credential = await this.client.credential();
      if (!credential) return { state: 'needs-auth', reason: 'no GitLab token is configured' };
      const { body: user } = await this.client.request<{ username?: string }>('GET', '/user');
      const granted =
        (await this.#tokenScopes()) ?? (credential.scopes.length > 0 ? credential.scopes : undefined);
      const status = scopeStatus(user.username ?? 'unknown', this.requiredScopes, granted);
      return granted && 'grantedScopes' in status ? { ...status, grantedScopes: granted } : status;
    } catch (error) {
      if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
      return { state: 'error', message: errorMessage(error) };
    }
  }

  /** An access token reports its scopes; an OAuth token cannot read this endpoint (its grant is stored instead). */
  async #tokenScopes(): Promise<string[] | undefined> {
    try {
      const { body } = await this.client.request<{ scopes?: string[] }>(
        'GET',
        '/personal_access_tokens/self',
      );
      return body.scopes;
    } catch (error) {
      if (error instanceof ProviderApiError && [401, 403, 404].includes(error.status ?? 0)) return undefined;
      throw error;
    }
  }
}
