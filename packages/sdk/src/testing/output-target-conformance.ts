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
   * Needed when the target lists reviews (`reviewsSince`): a person the target trusts submits a review
   * asking for changes on the output at the code host, at `at` (epoch ms), and no event of it is sent.
   * Returns its feedback id.
   */
  submitReview?(at: number): string | Promise<string>;
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
    name: 'lists a review given since a moment once, as its event would bring it; not when taken or older (a target that lists reviews)',
    async run(world) {
      const { target } = world;
      if (!target.reviewsSince) return;
      if (!world.submitReview)
        throw new Error('a target that lists reviews needs submitReview in its conformance world');
      const output = await target.getOutput(world.output.id);
      if (!output) throw new Error('the code host holds no output to review');
      const at = Date.parse('2026-03-02T10:00:00Z');
      const id = await world.submitReview(at);

      const listed = await target.reviewsSince(output, at - 60_000, new Set());
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        type: 'output.feedback',
        output: { id: world.output.id },
        feedback: { kind: 'review', id, verdict: 'changes-requested', author: { trusted: true } },
      });
      expect(await target.reviewsSince(output, at - 60_000, new Set([id]))).toEqual([]);
      expect(await target.reviewsSince(output, at + 60_000, new Set())).toEqual([]);
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
