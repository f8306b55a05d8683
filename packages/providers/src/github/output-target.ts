import type {
  ConnectionStatus,
  Fetch,
  Logger,
  OutputFeedbackEvent,
  OutputSnapshot,
  OutputTarget,
  RetryOptions,
  WriteOptions,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { parseConfig } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { ProviderApiError } from '../shared/provider-errors.ts';
import type { GithubAppAuth } from './app-auth.ts';
import type { GithubClient } from './client.ts';
import { githubClientPair } from './client-pair.ts';
import { checkGithubToken } from './connection.ts';
import type { GithubFeedbackConfig } from './feedback-config.ts';
import { GithubFeedback } from './feedback-events.ts';
import { githubFeedbackReads } from './feedback-reader.ts';
import { postIssueComment } from './issue-comments.ts';
import {
  headInRepository,
  parseOutputId,
  parseRepository,
  pullRequestSchema,
  toOutputSnapshot,
} from './pull-request.ts';

/**
 * Classic OAuth/PAT scope: `repo` (pull requests of private repositories). Fine-grained tokens and
 * GitHub Apps have no scopes; they need "Pull requests: read" and "Metadata: read" instead, which
 * GitHub does not report back, so those are checked by using the token, see `checkConnection`.
 */
export const GITHUB_REQUIRED_SCOPES = ['repo'] as const;

/** Entries per page of a listing (GitHub's most), and the pages read: a thousand reviews, comments or checks. */
const LISTED_PER_PAGE = 100;
const LISTED_PAGES = 10;

export const githubConfigSchema = z.strictObject({
  provider: z._default(z.string().check(z.minLength(1)), 'github'),
  baseUrl: z._default(z.url(), 'https://api.github.com'),
});
export type GithubConfig = z.input<typeof githubConfigSchema>;

export interface GithubTargetOptions extends GithubConfig {
  token?: TokenSource;
  /** Act as a GitHub App installation instead of `token` (see `GithubAppAuth`). */
  app?: GithubAppAuth;
  fetch?: Fetch;
  retry?: RetryOptions;
  logger?: Logger;
  /** Which review feedback counts, and whose (`feedback` of its config); the webhook source reads it too. */
  feedback?: GithubFeedbackConfig;
}

/** GitHub pull requests as the factory's outputs, read through the REST API. */
export class GithubOutputTarget implements OutputTarget {
  readonly provider: string;
  readonly requiredScopes = GITHUB_REQUIRED_SCOPES;
  /** GitHub's REST API; Octokit is loaded at its first request. */
  readonly github: GithubClient;
  /**
   * Review feedback on its pull requests, read with its token: the webhook source turns deliveries into
   * feedback with it, and `feedbackSince` the feedback it lists.
   */
  readonly feedback: GithubFeedback;
  /** Creating a comment is not idempotent: only a 429 (which did not land) is retried by the transport. */
  readonly #writeGithub: GithubClient;

  constructor(options: GithubTargetOptions = {}) {
    const { token, app, fetch, retry, logger, feedback, ...config } = options;
    const parsed = parseConfig(githubConfigSchema, config, 'GitHub output target');
    this.provider = parsed.provider;
    const client = {
      baseUrl: parsed.baseUrl,
      provider: parsed.provider,
      ...(app ? { app } : token !== undefined ? { token } : {}),
      ...(fetch ? { fetch } : {}),
      ...(logger ? { logger } : {}),
    };
    const clients = githubClientPair(client, retry);
    this.github = clients.github;
    this.#writeGithub = clients.writeGithub;
    this.feedback = new GithubFeedback({ ...feedback, reads: githubFeedbackReads(this.github) });
  }

  /** On the pull request's conversation, once per idempotency key (a hidden marker carries it). */
  async postComment(outputId: string, body: string, options: WriteOptions): Promise<void> {
    const { owner, repo, number } = parseOutputId(outputId);
    await postIssueComment(
      { read: this.github, write: this.#writeGithub },
      { owner, repo, number },
      body,
      options,
    );
  }

  async getOutput(id: string): Promise<OutputSnapshot | undefined> {
    const { owner, repo, number } = parseOutputId(id);
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner,
        repo,
        pull_number: number,
      });
      return toOutputSnapshot(pullRequestSchema.parse(data), `${owner}/${repo}`);
    } catch (error) {
      if (error instanceof ProviderApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async findOutput(repository: string, branch: string): Promise<OutputSnapshot | undefined> {
    const { owner, repo } = parseRepository(repository);
    // Agents push their branch to the repository itself, so the head filter is `<owner>:<branch>`.
    const { data } = await this.github.request('GET /repos/{owner}/{repo}/pulls', {
      owner,
      repo,
      head: `${owner}:${branch}`,
      state: 'all',
      sort: 'updated',
      direction: 'desc',
      per_page: 10,
    });
    const pulls = data
      .map((pull) => pullRequestSchema.parse(pull))
      .filter((pull) => pull.head.ref === branch && headInRepository(pull, `${owner}/${repo}`));
    // An open pull request wins over older closed attempts on the same branch.
    const chosen = pulls.find((pull) => pull.state === 'open') ?? pulls[0];
    return chosen ? toOutputSnapshot(chosen, `${owner}/${repo}`) : undefined;
  }

  async feedbackSince(
    output: OutputSnapshot,
    since: number,
    known: ReadonlySet<string>,
  ): Promise<OutputFeedbackEvent[]> {
    const { owner, repo, number } = parseOutputId(output.id);
    try {
      const reviews = await everyPage((page) =>
        this.github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
          owner,
          repo,
          pull_number: number,
          ...page,
        }),
      );
      const comments = await everyPage((page) =>
        this.github.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: number,
          // Only comments changed since then (GitHub's filter, to the second): no other can be new.
          since: new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          ...page,
        }),
      );
      const checks = output.branch ? await this.#headChecks(owner, repo, output.branch) : [];
      return await this.feedback.listedFeedback(
        { reviews, comments, checks },
        { output, repository: `${owner}/${repo}` },
        { since, known },
      );
    } catch (error) {
      if (error instanceof ProviderApiError && error.status === 404) return [];
      throw error;
    }
  }

  /**
   * The checks of the kind the feedback reads (`feedback.checks`) on the branch's head commit: a check
   * on an older commit is about code the agent has replaced. A branch that is gone has none.
   */
  async #headChecks(owner: string, repo: string, branch: string): Promise<unknown[]> {
    let head: string;
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/branches/{branch}', {
        owner,
        repo,
        branch,
      });
      head = data.commit.sha;
    } catch (error) {
      if (error instanceof ProviderApiError && error.status === 404) return [];
      throw error;
    }
    const at = { owner, repo, ref: head };
    switch (this.feedback.settings.checks) {
      case 'check_run':
        return everyPage(async (page) => {
          const route = 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs';
          const { data } = await this.github.request(route, { ...at, status: 'completed', ...page });
          return { data: data.check_runs };
        });
      case 'check_suite':
        return everyPage(async (page) => {
          const route = 'GET /repos/{owner}/{repo}/commits/{ref}/check-suites';
          const { data } = await this.github.request(route, { ...at, ...page });
          return { data: data.check_suites };
        });
      case 'workflow_run':
        return everyPage(async (page) => {
          const { data } = await this.github.request('GET /repos/{owner}/{repo}/actions/runs', {
            owner,
            repo,
            head_sha: head,
            status: 'completed',
            ...page,
          });
          return { data: data.workflow_runs };
        });
    }
  }

  checkConnection(): Promise<ConnectionStatus> {
    return checkGithubToken(this.github, this.requiredScopes);
  }
}

/** Every page of a listing GitHub gives oldest first (the newest are on the last page), up to a bound. */
async function everyPage(
  read: (page: { per_page: number; page: number }) => Promise<{ data: readonly unknown[] }>,
): Promise<unknown[]> {
  const listed: unknown[] = [];
  for (let page = 1; page <= LISTED_PAGES; page++) {
    const { data } = await read({ per_page: LISTED_PER_PAGE, page });
    listed.push(...data);
    if (data.length < LISTED_PER_PAGE) break;
  }
  return listed;
}
