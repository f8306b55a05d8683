import type { WorkItem, WorkItemState } from '@software-factory/sdk';
import * as z from 'zod/mini';

/** The issue fields the factory reads; webhooks and the REST API carry the same shape. */
export const githubIssueSchema = z.object({
  number: z.int().check(z.positive()),
  title: z.string(),
  body: z.nullish(z.string()),
  state: z.enum(['open', 'closed']),
  state_reason: z.nullish(z.string()),
  html_url: z.string().check(z.minLength(1)),
  updated_at: z.string().check(z.minLength(1)),
  labels: z._default(z.array(z.union([z.string(), z.object({ name: z.string() })])), []),
  /** Present when the "issue" is a pull request (the issues API lists both). */
  pull_request: z.optional(z.unknown()),
});
export type GithubIssue = z.infer<typeof githubIssueSchema>;

export interface IssueLabels {
  ready: string;
  inProgress: string;
  /** Put on once the agent's pull request is ready for review, when configured. */
  needsReview?: string;
}

/** Open issues: labelled in progress, ready, or not yet; closed ones are done unless closed as not planned. */
export function githubIssueState(issue: GithubIssue, labels: IssueLabels): WorkItemState {
  if (issue.state === 'closed') return issue.state_reason === 'not_planned' ? 'cancelled' : 'done';
  const names = labelNames(issue);
  const needsReview = labels.needsReview;
  if (needsReview !== undefined && names.some((name) => sameLabel(name, needsReview))) return 'in-review';
  if (names.some((name) => sameLabel(name, labels.inProgress))) return 'in-progress';
  return names.some((name) => sameLabel(name, labels.ready)) ? 'todo' : 'backlog';
}

export function githubIssueToWorkItem(
  issue: GithubIssue,
  context: { provider: string; repository: string; keyPrefix: string; labels: IssueLabels },
): WorkItem {
  return {
    id: `${context.repository}#${issue.number}`,
    key: `${context.keyPrefix}-${issue.number}`,
    title: issue.title,
    description: issue.body ?? '',
    state: githubIssueState(issue, context.labels),
    labels: labelNames(issue),
    project: context.repository,
    updatedAt: issue.updated_at,
    source: {
      provider: context.provider,
      externalId: `${context.repository}#${issue.number}`,
      url: issue.html_url,
    },
    metadata: {
      githubRepository: context.repository,
      githubIssueNumber: issue.number,
      githubState: issue.state,
    },
  };
}

export function labelNames(issue: Pick<GithubIssue, 'labels'>): string[] {
  return issue.labels.map((label) => (typeof label === 'string' ? label : label.name));
}

/** GitHub compares label names case-insensitively. */
export function sameLabel(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The default key prefix of a repository: its name in capitals without what a key cannot hold, so that
 * `acme/web-app#12` is `WEBAPP-12`, a key the default task template finds in branch names and titles.
 */
export function defaultKeyPrefix(repository: string): string {
  const name = (repository.split('/')[1] ?? repository).toUpperCase().replace(/[^A-Z0-9]/g, '');
  return /^[A-Z]/.test(name) ? name : `GH${name}`;
}

/** Splits `owner/repo#12`; undefined for anything else. */
export function parseIssueId(id: string): { repository: string; number: number } | undefined {
  const match = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)#(\d+)$/.exec(id.trim());
  return match ? { repository: match[1] as string, number: Number(match[2]) } : undefined;
}
