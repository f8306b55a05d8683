import type { OutputSnapshot, OutputState } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { isBoolean, isFilledText, isObject, isText, nullish } from '../shared/quick-check.ts';

/** The pull request fields the factory reads; webhooks and the REST API carry the same shape. */
export const pullRequestSchema = z.object({
  number: z.int().check(z.positive()),
  html_url: z.string().check(z.minLength(1)),
  state: z.enum(['open', 'closed']),
  draft: z.nullish(z.boolean()),
  merged: z.nullish(z.boolean()),
  merged_at: z.nullish(z.string()),
  title: z.string(),
  body: z.nullish(z.string()),
  updated_at: z.nullish(z.string()),
  // `repo` is null when the head repository (a fork) was deleted.
  head: z.object({ ref: z.string(), repo: z.nullish(z.object({ full_name: z.string() })) }),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

/** `pullRequestSchema`'s verdict on a well-formed pull request, without its machinery (`quick-check.ts`). */
export function isPullRequest(value: unknown): value is PullRequest {
  if (!isObject(value)) return false;
  const { number, html_url, state, draft, merged, merged_at, title, body, updated_at, head } = value;
  return (
    typeof number === 'number' &&
    Number.isSafeInteger(number) &&
    number > 0 &&
    isFilledText(html_url) &&
    (state === 'open' || state === 'closed') &&
    nullish(draft, isBoolean) &&
    nullish(merged, isBoolean) &&
    nullish(merged_at, isText) &&
    isText(title) &&
    nullish(body, isText) &&
    nullish(updated_at, isText) &&
    isObject(head) &&
    isText(head.ref) &&
    nullish(head.repo, (repo) => isObject(repo) && isText(repo.full_name))
  );
}

export function outputState(pull: PullRequest): OutputState {
  if (pull.merged === true || pull.merged_at) return 'merged';
  if (pull.state === 'closed') return 'closed';
  return pull.draft ? 'draft' : 'ready';
}

/**
 * Whether the pull request's branch lives in `repository` itself. Agents push their branch there; a
 * stranger can open a pull request from a fork with the same branch name, which must never count as the
 * agent's output (it would complete the item). A head whose repository is unknown counts as foreign.
 */
export function headInRepository(pull: PullRequest, repository: string): boolean {
  const head = pull.head.repo?.full_name;
  return head !== undefined && head.toLowerCase() === repository.toLowerCase();
}

/** `owner/repo#number` for a pull request in `owner/repo`. */
export function toOutputSnapshot(pull: PullRequest, repository: string): OutputSnapshot {
  return {
    id: `${repository}#${pull.number}`,
    url: pull.html_url,
    state: outputState(pull),
    branch: pull.head.ref,
    title: pull.title,
    ...(pull.body ? { body: pull.body } : {}),
    ...(pull.updated_at ? { updatedAt: pull.updated_at } : {}),
  };
}

/** Splits `owner/repo#12`; throws a clear error for anything else. */
export function parseOutputId(id: string): { owner: string; repo: string; number: number } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/.exec(id);
  if (!match) throw new Error(`not a GitHub pull request id: "${id}" (expected owner/repo#number)`);
  return { owner: match[1] as string, repo: match[2] as string, number: Number(match[3]) };
}

export function parseRepository(repository: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repository);
  if (!match) throw new Error(`not a GitHub repository: "${repository}" (expected owner/repo)`);
  return { owner: match[1] as string, repo: match[2] as string };
}
