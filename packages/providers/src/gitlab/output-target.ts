import type { ConnectionStatus, OutputSnapshot, OutputTarget } from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { Fetch, RetryOptions } from '../shared/http-retry.ts';
import { JsonRestClient } from '../shared/json-rest-client.ts';
import { parseConfig, scopeStatus } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { errorMessage, NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import {
  mergeRequestSchema,
  parseMergeRequestId,
  parseProjectPath,
  sourceInTargetProject,
  toGitlabOutput,
} from './merge-request.ts';

/** `read_api`: read merge requests. A token with `api` has it too (`api` is the read-write superset). */
export const GITLAB_REQUIRED_SCOPES = ['read_api'] as const;

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
}

/** GitLab merge requests as the factory's outputs, read through the REST API v4. */
export class GitlabOutputTarget implements OutputTarget {
  readonly provider: string;
  readonly requiredScopes = GITLAB_REQUIRED_SCOPES;
  readonly client: JsonRestClient;

  constructor(options: GitlabTargetOptions = {}) {
    const { token, fetch, retry, ...config } = options;
    const parsed = parseConfig(gitlabConfigSchema, config, 'GitLab output target');
    this.provider = parsed.provider;
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

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      const credential = await this.client.credential();
      if (!credential) return { state: 'needs-auth', reason: 'no GitLab token is configured' };
      const { body: user } = await this.client.request<{ username?: string }>('GET', '/user');
      const granted =
        (await this.#tokenScopes()) ?? (credential.scopes.length > 0 ? credential.scopes : undefined);
      // `api` is the read-write superset of `read_api`.
      const effective = granted?.includes('api') ? [...granted, 'read_api'] : granted;
      const status = scopeStatus(user.username ?? 'unknown', this.requiredScopes, effective);
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
