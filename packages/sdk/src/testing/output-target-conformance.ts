import { expect } from 'vitest';
import type { OutputTarget } from '../ports/output-target.ts';
import type { VendorControls } from './connection-conformance.ts';
import type { PortCheck } from './port-conformance.ts';
import { conformanceKey, pastDeadline, rolePortConformance } from './role-port-conformance.ts';

/** An output target in a world of its own: a code host holding one open output ready for review. */
export interface OpenedOutputTarget extends VendorControls {
  target: OutputTarget;
  /** The output the code host holds: its id as `output.changed` reports it, its repository and branch. */
  output: { id: string; repository: string; branch: string };
  /** An id of the same form for an output the code host does not hold. */
  absentId: string;
  /** The text of the output's comments at the code host, oldest first, as people read them. */
  comments(): readonly string[] | Promise<readonly string[]>;
  /**
   * Each of the next three is needed exactly when the target's `feedbackSince` lists that kind of
   * feedback; a target that has the method needs at least one. Reviews: a person the target trusts
   * submits a review asking for changes on the output at the code host, at `at` (epoch ms), and no event
   * of it is sent. Returns its feedback id.
   */
  submitReview?(at: number): string | Promise<string>;
  /**
   * Comments: a person the target trusts writes a comment addressed to the agent on the output at the
   * code host, at `at` (epoch ms), and no event of it is sent. Returns its feedback id.
   */
  writeComment?(at: number): string | Promise<string>;
  /**
   * Failed checks: a check (a CI job) fails on the output's head commit at the code host, finished at
   * `at` (epoch ms), and no event of it is sent. Returns its feedback id.
   */
  failCheck?(at: number): string | Promise<string>;
}

export type OutputTargetOpener = () => Promise<OpenedOutputTarget>;

/** Every behaviour an OutputTarget must have (besides `claims`' connection checks), as plain checks. */
export const outputTargetChecks: readonly PortCheck<OpenedOutputTarget>[] = [
  {
    name: 'reads the output by its id: ready, on its branch, with a link',
    async run(world) {
      const output = await world.target.getOutput(world.output.id);
      expect(output).toMatchObject({ id: world.output.id, state: 'ready', url: expect.any(String) });
      if (output?.branch !== undefined) expect(output.branch).toBe(world.output.branch);
    },
  },
  {
    name: 'finds the same output on its branch, as the tick does after a missed event',
    async run(world) {
      const found = await world.target.findOutput(world.output.repository, world.output.branch);
      expect(found).toEqual(await world.target.getOutput(world.output.id));
    },
  },
  {
    name: 'reads undefined for an output it does not hold, and for a branch without one',
    async run(world) {
      expect(await world.target.getOutput(world.absentId)).toBeUndefined();
      expect(
        await world.target.findOutput(world.output.repository, 'factory/conformance-no-output'),
      ).toBeUndefined();
    },
  },
  {
    name: 'lists the feedback given since a moment once, oldest first, as its events would bring it; not when taken or older (a target that lists feedback)',
    async run(world) {
      const { target } = world;
      if (!target.feedbackSince) return;
      if (!world.writeComment && !world.submitReview && !world.failCheck)
        throw new Error(
          'a target that lists feedback needs submitReview, writeComment or failCheck in its conformance world',
        );
      const output = await target.getOutput(world.output.id);
      if (!output) throw new Error('the code host holds no output to review');
      const at = Date.parse('2026-03-02T10:00:00Z');
      const given: { id: string; kind: 'comment' | 'review' | 'check-failed' }[] = [];
      // Given in another order than their times: the listing is by time, whatever its kind.
      if (world.failCheck) given.push({ id: await world.failCheck(at + 2_000), kind: 'check-failed' });
      if (world.submitReview) given.unshift({ id: await world.submitReview(at + 1_000), kind: 'review' });
      if (world.writeComment) given.unshift({ id: await world.writeComment(at), kind: 'comment' });

      const listed = await target.feedbackSince(output, at - 60_000, new Set());
      expect(listed.map((event) => event.feedback.id)).toEqual(given.map(({ id }) => id));
      for (const [place, { id, kind }] of given.entries())
        expect(listed[place]).toMatchObject({
          type: 'output.feedback',
          output: { id: world.output.id },
          feedback: { kind, id, ...(kind === 'check-failed' ? {} : { author: { trusted: true } }) },
        });
      const review = listed.find((event) => event.feedback.kind === 'review');
      if (review) expect(review.feedback).toMatchObject({ verdict: 'changes-requested' });
      const [first, ...rest] = given.map(({ id }) => id);
      expect(
        (await target.feedbackSince(output, at - 60_000, new Set([first ?? '']))).map(
          (event) => event.feedback.id,
        ),
      ).toEqual(rest);
      expect(await target.feedbackSince(output, at + 60_000, new Set())).toEqual([]);
    },
  },
  {
    name: 'past its deadline (an aborted signal) a comment is refused and not written',
    async run(world) {
      const before = (await world.comments()).length;
      await expect(
        world.target.postComment(world.output.id, 'Too late.', pastDeadline('late-output-comment')),
      ).rejects.toThrow();
      expect(await world.comments()).toHaveLength(before);
    },
  },
  {
    name: 'a comment on the output written twice with one idempotency key is one comment; another key is another',
    async run(world) {
      const before = (await world.comments()).length;
      const round = 'Feedback round 1: an agent is taking the feedback on this branch.';
      await world.target.postComment(world.output.id, round, conformanceKey('output-comment-1'));
      await world.target.postComment(world.output.id, round, conformanceKey('output-comment-1'));
      const once = await world.comments();
      expect(once).toHaveLength(before + 1);
      expect(once.at(-1)).toContain(round);
      await world.target.postComment(
        world.output.id,
        'Feedback round 1 is finished.',
        conformanceKey('output-comment-2'),
      );
      const twice = await world.comments();
      expect(twice).toHaveLength(before + 2);
      expect(twice.at(-1)).toContain('Feedback round 1 is finished.');
    },
  },
];

/**
 * Registers the OutputTarget conformance suite with the connection checks `claims` call for. `open` is
 * called once per check, and its `close` after it.
 */
export const outputTargetConformance = rolePortConformance(
  'OutputTarget',
  outputTargetChecks,
  (world) => world.target,
);
