import type { OutputSnapshot, OutputState } from '@software-factory/sdk';
import * as z from 'zod/mini';

/**
 * The merge request fields the factory reads. The REST API (`web_url`) and the webhook's
 * `object_attributes` (`url`) name a few differently; both are accepted.
 */
export const mergeRequestSchema = z.object({
  iid: z.int().check(z.positive()),
  title: z.string(),
  description: z.nullish(z.string()),
  state: z.string().check(z.minLength(1)),
  draft: z.nullish(z.boolean()),
  work_in_progress: z.nullish(z.boolean()),
  source_branch: z.string().check(z.minLength(1)),
  source_project_id: z.nullish(z.int()),
  target_project_id: z.nullish(z.int()),
  updated_at: z.nullish(z.string()),
  web_url: z.optional(z.string()),
  url: z.optional(z.string()),
});
export type MergeRequest = z.infer<typeof mergeRequestSchema>;

/** `opened` is draft or ready by its draft flag (`work_in_progress` on older GitLab); `locked` is closed. */
export function mergeRequestState(request: MergeRequest): OutputState {
  if (request.state === 'merged') return 'merged';
  if (request.state === 'closed' || request.state === 'locked') return 'closed';
  return request.draft === true || request.work_in_progress === true ? 'draft' : 'ready';
}

/**
 * Whether the merge request's source branch lives in its target project. Agents push there; a merge
 * request from a fork with the same branch name must never count as the agent's output. Both ids are in
 * every webhook and API answer; a merge request without them counts as foreign.
 */
export function sourceInTargetProject(request: MergeRequest): boolean {
  return (
    typeof request.source_project_id === 'number' && request.source_project_id === request.target_project_id
  );
}

/** `group/project!12`, GitLab's own reference for a merge request. */
export function toGitlabOutput(request: MergeRequest, projectPath: string): OutputSnapshot {
  const url = request.web_url ?? request.url ?? '';
  const updatedAt = request.updated_at ? gitlabTimeToIso(request.updated_at) : undefined;
  return {
    id: `${projectPath}!${request.iid}`,
    url,
    state: mergeRequestState(request),
    branch: request.source_branch,
    title: request.title,
    ...(request.description ? { body: request.description } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
}

/** Splits `group/sub/project!12`; throws a clear error for anything else. */
export function parseMergeRequestId(id: string): { project: string; iid: number } {
  const match = /^([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+)!(\d+)$/.exec(id);
  if (!match) throw new Error(`not a GitLab merge request id: "${id}" (expected group/project!iid)`);
  return { project: match[1] as string, iid: Number(match[2]) };
}

export function parseProjectPath(path: string): string {
  if (!/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+$/.test(path))
    throw new Error(`not a GitLab project: "${path}" (expected group/project)`);
  return path;
}

/** Webhooks write `2013-12-03 17:23:34 UTC` on some GitLab versions, ISO-8601 on others. */
export function gitlabTimeToIso(value: string): string | undefined {
  const iso = value.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/, '$1T$2Z');
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
