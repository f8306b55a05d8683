import type { OutputFeedbackEvent } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { boundText, FEEDBACK_LIMITS } from '../shared/feedback-text.ts';
import { parsePayload } from '../shared/webhook-payload.ts';
import type { GithubCheckEvent } from './feedback-config.ts';
import type { GithubFeedbackReads } from './feedback-reader.ts';

/**
 * The conclusions that are a failure the agent can act on. `cancelled` is not: a newer push cancels the
 * runs of the older commit (concurrency groups), and a person who cancels a run has not found a fault;
 * `action_required`, `neutral`, `skipped`, `stale` and `success` never are.
 */
export const FAILED_CONCLUSIONS: ReadonlySet<string> = new Set(['failure', 'timed_out', 'startup_failure']);

const nonEmpty = z.string().check(z.minLength(1));

/** A pull request as check payloads list it: its number, head (branch, commit, repository) and base. */
const checkPullSchema = z.object({
  number: z.int().check(z.positive()),
  head: z.object({ ref: nonEmpty, sha: z.optional(z.string()), repo: z.object({ id: z.number() }) }),
  base: z.object({ repo: z.object({ id: z.number() }) }),
});
type CheckPull = z.infer<typeof checkPullSchema>;

const repositorySchema = z.object({ full_name: nonEmpty, html_url: z.optional(z.string()) });

const checkRunSchema = z.object({
  action: nonEmpty,
  check_run: z.object({
    id: z.number(),
    name: nonEmpty,
    conclusion: z.nullish(z.string()),
    head_sha: nonEmpty,
    html_url: z.nullish(z.string()),
    details_url: z.nullish(z.string()),
    output: z.nullish(z.object({ title: z.nullish(z.string()), summary: z.nullish(z.string()) })),
    pull_requests: z.array(checkPullSchema),
  }),
  repository: repositorySchema,
});

const checkSuiteSchema = z.object({
  action: nonEmpty,
  check_suite: z.object({
    id: z.number(),
    conclusion: z.nullish(z.string()),
    head_sha: nonEmpty,
    app: z.nullish(z.object({ name: z.string() })),
    pull_requests: z.array(checkPullSchema),
  }),
  repository: repositorySchema,
});

const workflowRunSchema = z.object({
  action: nonEmpty,
  workflow_run: z.object({
    id: z.number(),
    name: z.nullish(z.string()),
    display_title: z.nullish(z.string()),
    run_attempt: z.optional(z.int()),
    conclusion: z.nullish(z.string()),
    head_sha: nonEmpty,
    head_branch: z.nullish(z.string()),
    html_url: nonEmpty,
    pull_requests: z.array(checkPullSchema),
    head_repository: z.nullish(z.object({ full_name: z.string() })),
  }),
  workflow: z.nullish(z.object({ name: z.string() })),
  repository: repositorySchema,
});

/** A finished check, in the terms of `check-failed`, before it is matched to pull requests. */
interface FinishedCheck {
  action: string;
  id: string;
  name: string;
  conclusion: string;
  headSha: string;
  summary?: string;
  url?: string;
  pulls: CheckPull[];
  /** The workflow run's branch, when GitHub listed no pull request (a push-triggered run). */
  branch?: string;
}

export type CheckVerdict = { events: OutputFeedbackEvent[]; ignored?: string };

/** A `check_run`, `check_suite` or `workflow_run` delivery: `check-failed` for each pull request it failed on. */
export async function checkFeedback(
  event: GithubCheckEvent,
  body: unknown,
  reads: GithubFeedbackReads,
): Promise<CheckVerdict> {
  const { check, repository } = readCheck(event, body);
  if (check.action !== 'completed')
    return { events: [], ignored: `${event} action "${check.action}" is not a finished check` };
  if (!FAILED_CONCLUSIONS.has(check.conclusion))
    return {
      events: [],
      ignored: `${event} "${check.name}" ended "${check.conclusion || 'without a conclusion'}": not a failure (${[...FAILED_CONCLUSIONS].join(', ')})`,
    };
  const repositoryUrl = repository.html_url ?? `https://github.com/${repository.full_name}`;
  const feedback = {
    kind: 'check-failed' as const,
    id: check.id,
    name: check.name,
    conclusion: check.conclusion,
    ...(check.summary ? { summary: check.summary } : {}),
    ...(check.url ? { url: check.url } : {}),
  };
  const reasons: string[] = [];
  const events: OutputFeedbackEvent[] = [];
  for (const pull of check.pulls) {
    if (pull.head.repo.id !== pull.base.repo.id) {
      reasons.push(`#${pull.number} comes from a fork`);
      continue;
    }
    if (pull.head.sha !== undefined && pull.head.sha !== check.headSha) {
      reasons.push(`#${pull.number} has moved on from ${check.headSha.slice(0, 7)}`);
      continue;
    }
    const output = {
      id: `${repository.full_name}#${pull.number}`,
      url: `${repositoryUrl}/pull/${pull.number}`,
      branch: pull.head.ref,
    };
    events.push({ type: 'output.feedback', output, feedback });
  }
  if (check.pulls.length === 0 && check.branch) {
    // Runs triggered by a push list no pull request: the open one of the branch is asked for.
    const pull = await reads.openPullRequest(repository.full_name, check.branch);
    if (!pull) reasons.push(`no open pull request has the branch ${check.branch}`);
    else if (pull.headSha !== undefined && pull.headSha !== check.headSha)
      reasons.push(`#${pull.number} has moved on from ${check.headSha.slice(0, 7)}`);
    else
      events.push({
        type: 'output.feedback',
        output: {
          id: `${repository.full_name}#${pull.number}`,
          url: pull.url,
          branch: pull.branch,
          title: pull.title,
        },
        feedback,
      });
  }
  if (events.length > 0) return { events };
  return {
    events: [],
    ignored: `${event} "${check.name}" failed, but on no pull request the factory follows${reasons.length > 0 ? `: ${reasons.join('; ')}` : ' (it lists none)'}`,
  };
}

function readCheck(
  event: GithubCheckEvent,
  body: unknown,
): { check: FinishedCheck; repository: z.infer<typeof repositorySchema> } {
  switch (event) {
    case 'check_run': {
      const { action, check_run: run, repository } = parsePayload(checkRunSchema, body, event);
      const summary = [run.output?.title, run.output?.summary].filter(Boolean).join('\n\n');
      const url = run.html_url || run.details_url;
      return {
        repository,
        check: {
          action,
          id: `check_run:${run.id}`,
          name: boundText(run.name, FEEDBACK_LIMITS.name),
          conclusion: run.conclusion ?? '',
          headSha: run.head_sha,
          ...(summary ? { summary: boundText(summary) } : {}),
          ...(url ? { url } : {}),
          pulls: run.pull_requests,
        },
      };
    }
    case 'check_suite': {
      const { action, check_suite: suite, repository } = parsePayload(checkSuiteSchema, body, event);
      const repositoryUrl = repository.html_url ?? `https://github.com/${repository.full_name}`;
      return {
        repository,
        check: {
          action,
          id: `check_suite:${suite.id}`,
          name: boundText(suite.app?.name || 'check suite', FEEDBACK_LIMITS.name),
          conclusion: suite.conclusion ?? '',
          headSha: suite.head_sha,
          url: `${repositoryUrl}/commit/${suite.head_sha}/checks`,
          pulls: suite.pull_requests,
        },
      };
    }
    case 'workflow_run': {
      const {
        action,
        workflow_run: run,
        workflow,
        repository,
      } = parsePayload(workflowRunSchema, body, event);
      const sameRepository =
        run.head_repository?.full_name?.toLowerCase() === repository.full_name.toLowerCase();
      return {
        repository,
        check: {
          action,
          id: `workflow_run:${run.id}:${run.run_attempt ?? 1}`,
          name: boundText(run.name || workflow?.name || `workflow run ${run.id}`, FEEDBACK_LIMITS.name),
          conclusion: run.conclusion ?? '',
          headSha: run.head_sha,
          ...(run.display_title ? { summary: boundText(run.display_title) } : {}),
          url: run.html_url,
          pulls: run.pull_requests,
          ...(sameRepository && run.head_branch ? { branch: run.head_branch } : {}),
        },
      };
    }
  }
}
