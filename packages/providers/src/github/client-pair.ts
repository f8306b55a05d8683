import type { RetryOptions } from '@software-factory/sdk';
import { withoutReplays } from '../shared/write-once.ts';
import { GithubClient, type GithubClientOptions } from './client.ts';

/**
 * The two clients a GitHub port calls through: one that retries as `retry` says, for reads and writes
 * that can be repeated, and one for creating comments, which is not idempotent: only a 429 (which did not
 * land) is retried there; a lost answer, a timeout or a 5xx comes back at once, for the caller to look for
 * the comment before it posts again.
 */
export function githubClientPair(
  client: Omit<GithubClientOptions, 'retry'>,
  retry: RetryOptions | undefined,
): { github: GithubClient; writeGithub: GithubClient } {
  return {
    github: new GithubClient({ ...client, ...(retry ? { retry } : {}) }),
    writeGithub: new GithubClient({ ...client, retry: withoutReplays(retry) }),
  };
}
