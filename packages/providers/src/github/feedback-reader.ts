import type { FeedbackComment } from '@software-factory/sdk';
import { boundText, FEEDBACK_LIMITS } from '../shared/feedback-text.ts';
import { ProviderApiError } from '../shared/provider-errors.ts';
import type { GithubClient } from './client.ts';
import { headInRepository, parseRepository, pullRequestSchema } from './pull-request.ts';

/** A pull request as review feedback needs it: which item it is (branch, title) and its current head. */
export interface FeedbackPull {
  number: number;
  url: string;
  title: string;
  body?: string;
  branch: string;
  /** The head commit now, to tell a check of an older commit from one of the current. */
  headSha?: string;
  /** The branch lives in the repository itself (not a fork). */
  inRepository: boolean;
}

/** A review's remarks, at most `FEEDBACK_LIMITS.comments`, and whether GitHub had more. */
export interface ReviewRemarks {
  comments: FeedbackComment[];
  more: boolean;
}

/** What review feedback reads from GitHub beyond the webhook's payload. */
export interface GithubFeedbackReads {
  reviewComments(repository: string, pull: number, reviewId: number): Promise<ReviewRemarks>;
  pullRequest(repository: string, pull: number): Promise<FeedbackPull | undefined>;
  openPullRequest(repository: string, branch: string): Promise<FeedbackPull | undefined>;
}

/** The reads over the output target's REST client (its token, its retries). */
export function githubFeedbackReads(github: GithubClient): GithubFeedbackReads {
  return {
    async reviewComments(repository, pull, reviewId) {
      const { owner, repo } = parseRepository(repository);
      const { data } = await github.request(
        'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments',
        // One more than kept, to know that there were more.
        { owner, repo, pull_number: pull, review_id: reviewId, per_page: FEEDBACK_LIMITS.comments + 1 },
      );
      const comments = data.slice(0, FEEDBACK_LIMITS.comments).map((comment) => {
        const line = (comment as { line?: number | null }).line ?? comment.original_line ?? undefined;
        return {
          body: boundText(comment.body ?? ''),
          ...(comment.path ? { path: comment.path } : {}),
          ...(typeof line === 'number' ? { line } : {}),
          ...(comment.html_url ? { url: comment.html_url } : {}),
        };
      });
      return { comments, more: data.length > FEEDBACK_LIMITS.comments };
    },

    async pullRequest(repository, pull) {
      const { owner, repo } = parseRepository(repository);
      try {
        const { data } = await github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
          owner,
          repo,
          pull_number: pull,
        });
        return feedbackPull(data, repository);
      } catch (error) {
        if (error instanceof ProviderApiError && error.status === 404) return undefined;
        throw error;
      }
    },

    async openPullRequest(repository, branch) {
      const { owner, repo } = parseRepository(repository);
      const { data } = await github.request('GET /repos/{owner}/{repo}/pulls', {
        owner,
        repo,
        head: `${owner}:${branch}`,
        state: 'open',
        per_page: 10,
      });
      const pulls = data.map((pull) => feedbackPull(pull, repository));
      return pulls.find((pull) => pull.branch === branch && pull.inRepository);
    },
  };
}

function feedbackPull(data: unknown, repository: string): FeedbackPull {
  const pull = pullRequestSchema.parse(data);
  const sha = (data as { head?: { sha?: unknown } }).head?.sha;
  return {
    number: pull.number,
    url: pull.html_url,
    title: pull.title,
    ...(pull.body ? { body: pull.body } : {}),
    branch: pull.head.ref,
    ...(typeof sha === 'string' ? { headSha: sha } : {}),
    inRepository: headInRepository(pull, repository),
  };
}
