import type { AgentStatus } from '@software-factory/sdk';
import * as z from 'zod/mini';

/**
 * The fields of a GitHub Actions workflow run the fleet reads: the REST API lists runs, and the
 * `workflow_run` webhook carries one, in the same shape.
 */
export const workflowRunSchema = z.object({
  id: z.number(),
  name: z.nullish(z.string()),
  display_title: z.nullish(z.string()),
  status: z.nullish(z.string()),
  conclusion: z.nullish(z.string()),
  html_url: z.optional(z.string()),
});

export type WorkflowRun = z.infer<typeof workflowRunSchema>;

/** The run name the example workflow sets with `run-name:`; the fleet finds its runs by it. */
export function runNameFor(idempotencyKey: string): string {
  return `factory ${idempotencyKey}`;
}

const RUNNING_STATUSES = new Set(['queued', 'in_progress', 'requested', 'waiting', 'pending']);

export function runStatus(run: { status?: string | null; conclusion?: string | null }): AgentStatus {
  if (run.status !== 'completed') {
    return RUNNING_STATUSES.has(run.status ?? '') || !run.status
      ? { state: 'running' }
      : { state: 'unknown' };
  }
  return { state: 'exited', exitCode: run.conclusion === 'success' ? 0 : 1 };
}
