import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import type { BenchTarget, Sample } from './targets/bench-target.ts';
import {
  githubPullRequestReady,
  linearIssueCreated,
  type SignedRequest,
  slackThreadReply,
} from './vendor-payloads.ts';

/** The event paths the bench measures, in the order one cycle takes them. */
export const PATHS = [
  'new item dispatched',
  'duplicate delivery',
  'PR complete',
  'clarification asked',
  'reply',
] as const;
export type PathName = (typeof PATHS)[number];

/** What each path must answer, so a number is never measured on the wrong path. */
const EXPECTED: Record<PathName, RegExp> = {
  'new item dispatched': /"outcome":"changed","reason":"dispatched/,
  'duplicate delivery': /"status":"duplicate"/,
  'PR complete': /"reason":"completed by /,
  'clarification asked': /"reason":"unclear: asked for clarification/,
  reply: /"outcome":"changed","reason":"dispatched/,
};

const sign = { tenant: BENCH_TENANT };

/**
 * One cycle over two fresh work items: a clear one (dispatched, its delivery repeated, its pull request
 * ready) and a vague one (a question, a reply that makes it clear and dispatches it, then completed
 * unmeasured so the next cycle starts from the same free slots).
 */
export async function runCycle(
  target: BenchTarget,
  cycle: number,
  record: (path: PathName, sample: Sample) => void,
): Promise<void> {
  const clear = 2 * cycle + 1;
  const vague = 2 * cycle + 2;
  const created = linearIssueCreated(clear, { ...sign, secret: BENCH_SECRETS.linear, now: Date.now() });
  record('new item dispatched', await expect(target, 'new item dispatched', created));
  record('duplicate delivery', await expect(target, 'duplicate delivery', created));
  record(
    'PR complete',
    await expect(
      target,
      'PR complete',
      githubPullRequestReady(clear, { ...sign, secret: BENCH_SECRETS.github }),
    ),
  );
  record(
    'clarification asked',
    await expect(
      target,
      'clarification asked',
      linearIssueCreated(vague, { ...sign, secret: BENCH_SECRETS.linear, now: Date.now(), vague: true }),
    ),
  );
  record(
    'reply',
    await expect(
      target,
      'reply',
      slackThreadReply(vague, { ...sign, secret: BENCH_SECRETS.slack, now: Date.now() }),
    ),
  );
  await expect(
    target,
    'PR complete',
    githubPullRequestReady(vague, { ...sign, secret: BENCH_SECRETS.github }),
  );
}

async function expect(target: BenchTarget, path: PathName, request: SignedRequest): Promise<Sample> {
  const sample = await target.deliver(request);
  if (sample.answer.status !== 200 || !EXPECTED[path].test(sample.answer.body))
    throw new Error(
      `${target.store}: "${path}" answered ${sample.answer.status} ${sample.answer.body.slice(0, 300)}`,
    );
  return sample;
}
