import type {
  ConnectionStatus,
  Fetch,
  Logger,
  RetryOptions,
  WorkItem,
  WorkItemProvider,
  WritebackState,
  WriteOptions,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { GithubAppAuth } from '../github/app-auth.ts';
import type { GithubClient } from '../github/client.ts';
import { githubClientPair } from '../github/client-pair.ts';
import { checkGithubToken } from '../github/connection.ts';
import { postIssueComment } from '../github/issue-comments.ts';
import { markerChanges, missingMarkers } from '../shared/lifecycle-markers.ts';
import { parseConfig } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { ProviderApiError } from '../shared/provider-errors.ts';
import {
  defaultKeyPrefix,
  type GithubIssue,
  githubIssueSchema,
  githubIssueToWorkItem,
  type IssueLabels,
  labelNames,
  parseIssueId,
  sameLabel,
} from './issue.ts';

/**
 * Classic OAuth/PAT scope: `repo` (issues of private repositories: read, label, close, comment).
 * Fine-grained tokens and GitHub Apps need "Issues: read and write" and "Metadata: read" instead, which
 * GitHub does not report back; `checkConnection` then reports them connected.
 */
export const GITHUB_ISSUES_REQUIRED_SCOPES = ['repo'] as const;

const repositoryName = z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/repo'));
const keyPrefix = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z][A-Za-z0-9]*$/,
      'a key prefix is letters and digits, starting with a letter (e.g. WEB)',
    ),
  );

export const githubIssuesConfigSchema = z.strictObject({
  provider: z._default(z.string().check(z.minLength(1)), 'github-issues'),
  baseUrl: z._default(z.url({ protocol: /^https?$/ }), 'https://api.github.com'),
  /**
   * The repositories whose issues are work items. Each issue's key is `<keyPrefix>-<number>` (default:
   * the repository name in capitals), a form the default task template links pull requests back by.
   */
  repositories: z
    .array(z.strictObject({ repository: repositoryName, keyPrefix: z.optional(keyPrefix) }))
    .check(
      z.minLength(1, 'name at least one repository'),
      z.refine(
        (entries) =>
          new Set(
            entries.map((entry) => (entry.keyPrefix ?? defaultKeyPrefix(entry.repository)).toUpperCase()),
          ).size === entries.length,
        'two repositories have the same key prefix; give each a distinct keyPrefix',
      ),
    ),
  /** The label that means "ready for an agent". */
  readyLabel: z._default(z.string().check(z.minLength(1)), 'factory'),
  /** The label the factory adds when an agent starts (and removes when the issue is done). */
  inProgressLabel: z._default(z.string().check(z.minLength(1)), 'factory: in progress'),
  /**
   * The label that replaces the in-progress one once the agent's pull request is ready for review
   * (with `completion.on: merged`); closing at done removes it. None by default.
   */
  needsReviewLabel: z.optional(z.string().check(z.minLength(1))),
  /** The factory's own login; its comments are never answers (they also carry a hidden marker). */
  botLogin: z.optional(z.string().check(z.minLength(1))),
});
export type GithubIssuesConfig = z.input<typeof githubIssuesConfigSchema>;

export interface GithubIssuesProviderOptions extends GithubIssuesConfig {
  token?: TokenSource;
  /** Act as a GitHub App installation instead of `token` (see `GithubAppAuth`). */
  app?: GithubAppAuth;
  fetch?: Fetch;
  retry?: RetryOptions;
  logger?: Logger;
}

interface RepositoryEntry {
  repository: string;
  owner: string;
  repo: string;
  keyPrefix: string;
}

/** GitHub Issues as the factory's intake: labels say ready and in progress, closing says done. */
export class GithubIssuesWorkItemProvider implements WorkItemProvider {
  readonly provider: string;
  readonly requiredScopes = GITHUB_ISSUES_REQUIRED_SCOPES;
  /** GitHub's REST API; Octokit is loaded at its first request. */
  readonly github: GithubClient;
  readonly botLogin: string | undefined;
  /** Creating a comment is not idempotent: only a 429 (which did not land) is retried by the transport. */
  readonly #writeGithub: GithubClient;
  readonly #labels: IssueLabels;
  readonly #byRepository = new Map<string, RepositoryEntry>();
  readonly #byPrefix = new Map<string, RepositoryEntry>();

  constructor(options: GithubIssuesProviderOptions) {
    const { token, app, fetch, retry, logger, ...config } = options;
    const parsed = parseConfig(githubIssuesConfigSchema, config, 'GitHub Issues provider');
    this.provider = parsed.provider;
    this.botLogin = parsed.botLogin;
    this.#labels = {
      ready: parsed.readyLabel,
      inProgress: parsed.inProgressLabel,
      ...(parsed.needsReviewLabel ? { needsReview: parsed.needsReviewLabel } : {}),
    };
    for (const entry of parsed.repositories) {
      const [owner, repo] = entry.repository.split('/') as [string, string];
      const prefix = (entry.keyPrefix ?? defaultKeyPrefix(entry.repository)).toUpperCase();
      const known = { repository: entry.repository, owner, repo, keyPrefix: prefix };
      this.#byRepository.set(entry.repository.toLowerCase(), known);
      this.#byPrefix.set(prefix, known);
    }
    const [first] = this.#byRepository.values();
    const client = {
      provider: this.provider,
      baseUrl: parsed.baseUrl,
      ...(app
        ? { app, ...(first ? { defaultRepository: { owner: first.owner, repo: first.repo } } : {}) }
        : token !== undefined
          ? { token }
          : {}),
      ...(fetch ? { fetch } : {}),
      ...(logger ? { logger } : {}),
    };
    const clients = githubClientPair(client, retry);
    this.github = clients.github;
    this.#writeGithub = clients.writeGithub;
  }

  /** Whether the factory follows this `owner/repo`. */
  follows(repository: string): boolean {
    return this.#byRepository.has(repository.toLowerCase());
  }

  /** The work item id of an issue, in the repository's configured spelling. */
  issueId(repository: string, number: number): string {
    return `${this.#entry(repository).repository}#${number}`;
  }

  /** Normalises an issue of a followed repository; throws for any other repository. */
  toWorkItem(issue: GithubIssue, repository: string): WorkItem {
    const entry = this.#entry(repository);
    return githubIssueToWorkItem(issue, {
      provider: this.provider,
      repository: entry.repository,
      keyPrefix: entry.keyPrefix,
      labels: this.#labels,
    });
  }

  isReadyForDispatch(item: WorkItem): boolean {
    return (
      item.metadata.githubState === 'open' &&
      item.labels.some((label) => sameLabel(label, this.#labels.ready)) &&
      !item.labels.some(
        (label) =>
          sameLabel(label, this.#labels.inProgress) ||
          (this.#labels.needsReview !== undefined && sameLabel(label, this.#labels.needsReview)),
      )
    );
  }

  /**
   * Labels say dispatched and needs review; closing says done. Cancelled takes the ready label off with
   * the markers: the label is the only thing that says ready here, and an item the factory stopped on
   * (after its last failed attempt) must not read ready again until a person adds the label back, or
   * the webhook of the factory's own label change would start it again. Each write is idempotent in
   * itself (adding a label it has, removing one it lacks), and the issue is read back afterwards: a write
   * GitHub acknowledged but did not keep throws, so the core retries it.
   */
  async setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const { entry, number } = this.#locate(item);
    const issue = { owner: entry.owner, repo: entry.repo, issue_number: number };
    const markers = markerChanges(state, this.#labels);
    if (state === 'cancelled') markers.remove.push(this.#labels.ready);
    const before = await this.#readIssue(issue);
    if (this.#unkept(before, state, markers).length === 0) return;
    const missing = markers.add.filter((name) => !before.labels.some((label) => sameLabel(label, name)));
    if (missing.length > 0)
      await this.github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
        ...issue,
        labels: missing,
      });
    for (const name of markers.remove) {
      const present = before.labels.find((label) => sameLabel(label, name));
      if (!present) continue;
      try {
        await this.github.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', {
          ...issue,
          name: present,
        });
      } catch (error) {
        // Already gone (a person, or an earlier attempt, removed it): what we wanted.
        if (!(error instanceof ProviderApiError && error.status === 404)) throw error;
      }
    }
    if (state === 'done' && before.state !== 'closed')
      await this.github.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...issue,
        state: 'closed',
        state_reason: 'completed',
      });
    const unkept = this.#unkept(await this.#readIssue(issue), state, markers);
    if (unkept.length > 0)
      throw new ProviderApiError(
        this.provider,
        `GitHub did not keep ${state} on ${item.key}: ${unkept.join('; ')}`,
      );
  }

  async #readIssue(issue: {
    owner: string;
    repo: string;
    issue_number: number;
  }): Promise<{ state: string; labels: string[] }> {
    const { data } = await this.github.request('GET /repos/{owner}/{repo}/issues/{issue_number}', issue);
    const parsed = githubIssueSchema.parse(data);
    return { state: parsed.state, labels: labelNames(parsed) };
  }

  #unkept(
    issue: { state: string; labels: string[] },
    state: WritebackState,
    markers: { add: string[]; remove: string[] },
  ): string[] {
    const missing = missingMarkers(issue.labels, markers, sameLabel);
    if (state === 'done' && issue.state !== 'closed') missing.unshift('it is still open');
    return missing;
  }

  /**
   * GitHub has no idempotency key for comments: each carries a hidden marker with a digest of the key,
   * and a write first reads the issue's latest comments for it.
   */
  async postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void> {
    const { entry, number } = this.#locate(item);
    await postIssueComment(
      { read: this.github, write: this.#writeGithub },
      { owner: entry.owner, repo: entry.repo, number },
      body,
      options,
    );
  }

  /** By id (`owner/repo#12`), key (`WEB-12`) or issue URL; undefined when it is none of these. */
  async getWorkItem(ref: string): Promise<WorkItem | undefined> {
    const located = this.#resolve(ref.trim());
    if (!located) return undefined;
    try {
      const { data } = await this.github.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
        owner: located.entry.owner,
        repo: located.entry.repo,
        issue_number: located.number,
      });
      const issue = githubIssueSchema.parse(data);
      if (issue.pull_request !== undefined) return undefined;
      return this.toWorkItem(issue, located.entry.repository);
    } catch (error) {
      if (error instanceof ProviderApiError && (error.status === 404 || error.status === 410))
        return undefined;
      throw error;
    }
  }

  checkConnection(): Promise<ConnectionStatus> {
    return checkGithubToken(this.github, this.requiredScopes);
  }

  #locate(item: WorkItem): { entry: RepositoryEntry; number: number } {
    const located = this.#resolve(item.id) ?? this.#resolve(item.key);
    if (!located)
      throw new ProviderApiError(this.provider, `${item.key} is not an issue of a followed repository`);
    return located;
  }

  #resolve(ref: string): { entry: RepositoryEntry; number: number } | undefined {
    const byId = parseIssueId(ref);
    if (byId) {
      const entry = this.#byRepository.get(byId.repository.toLowerCase());
      return entry ? { entry, number: byId.number } : undefined;
    }
    const byKey = /^([A-Za-z][A-Za-z0-9]*)-(\d+)$/.exec(ref);
    if (byKey) {
      const entry = this.#byPrefix.get((byKey[1] as string).toUpperCase());
      return entry ? { entry, number: Number(byKey[2]) } : undefined;
    }
    const byUrl = /^https?:\/\/[^/]+\/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\/issues\/(\d+)(?:[/?#]|$)/.exec(ref);
    if (byUrl) {
      const entry = this.#byRepository.get((byUrl[1] as string).toLowerCase());
      return entry ? { entry, number: Number(byUrl[2]) } : undefined;
    }
    return undefined;
  }

  #entry(repository: string): RepositoryEntry {
    const entry = this.#byRepository.get(repository.toLowerCase());
    if (!entry)
      throw new ProviderApiError(this.provider, `${repository} is not a repository the factory follows`);
    return entry;
  }
}
