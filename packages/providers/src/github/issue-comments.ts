import type { WriteOptions } from '@software-factory/sdk';
import { keyDigest } from '../shared/deterministic-uuid.ts';
import { withHiddenTrace } from '../shared/trace-metadata.ts';
import { writeOnce } from '../shared/write-once.ts';
import type { GithubClient } from './client.ts';

/** Starts every comment the factory writes (an HTML comment: invisible when rendered). */
export const GITHUB_COMMENT_MARKER = '<!-- factory:comment';

/** An issue or a pull request: GitHub keeps the conversation of both as issue comments. */
export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

/**
 * Posts a comment once per idempotency key: the key's digest rides in a hidden marker, and a comment
 * that carries it already (an earlier attempt that landed, or whose answer was lost) is not posted
 * again. `write` must not retry a create that may have landed; `read` looks for the marker.
 */
export async function postIssueComment(
  clients: { read: GithubClient; write: GithubClient },
  ref: IssueRef,
  body: string,
  options: WriteOptions,
): Promise<void> {
  options.signal?.throwIfAborted();
  const marker = `${GITHUB_COMMENT_MARKER} ${await keyDigest(options.idempotencyKey)} -->`;
  const call = { signal: options.signal };
  await writeOnce(
    () => commentExists(clients.read, ref, marker, call),
    async () => {
      await clients.write.request(
        'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
        {
          owner: ref.owner,
          repo: ref.repo,
          issue_number: ref.number,
          body: `${withHiddenTrace(body, options.traceId)}\n\n${marker}`,
        },
        call,
      );
      return true;
    },
  );
}

async function commentExists(
  github: GithubClient,
  ref: IssueRef,
  marker: string,
  call: { signal?: AbortSignal | undefined },
): Promise<boolean> {
  // Comments list oldest first: read the last two pages, where a recent attempt would be.
  const { data: issue } = await github.request(
    'GET /repos/{owner}/{repo}/issues/{issue_number}',
    { owner: ref.owner, repo: ref.repo, issue_number: ref.number },
    call,
  );
  const last = Math.max(1, Math.ceil((issue.comments ?? 0) / 100));
  for (const page of new Set([last, Math.max(1, last - 1)])) {
    const { data } = await github.request(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      {
        owner: ref.owner,
        repo: ref.repo,
        issue_number: ref.number,
        per_page: 100,
        page,
      },
      call,
    );
    if (data.some((comment) => comment.body?.includes(marker))) return true;
  }
  return false;
}
