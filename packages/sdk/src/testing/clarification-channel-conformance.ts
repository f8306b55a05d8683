import { expect } from 'vitest';
import type { ClarificationChannel } from '../ports/clarification-channel.ts';
import type { WorkItem } from '../work-item.ts';
import type { VendorControls } from './connection-conformance.ts';
import type { PortCheck } from './port-conformance.ts';
import { conformanceKey, pastDeadline, rolePortConformance } from './role-port-conformance.ts';

/** A clarification channel in a world of its own, where nothing has been asked yet. */
export interface OpenedClarificationChannel extends VendorControls {
  channel: ClarificationChannel;
  /** The work item the suite asks about (one the channel's tracker holds, where it asks on the item). */
  item: WorkItem;
  /** The text of every message the channel has posted at its vendor (questions and replies), oldest first. */
  messages(): readonly string[] | Promise<readonly string[]>;
}

export type ClarificationChannelOpener = () => Promise<OpenedClarificationChannel>;

const QUESTION = 'Which export formats besides JSON are needed?';

async function expectPosted(world: OpenedClarificationChannel, count: number, text: string) {
  const messages = await world.messages();
  expect(messages).toHaveLength(count);
  expect(messages.at(-1)).toContain(text);
}

/** Every behaviour a ClarificationChannel must have (besides `claims`' connection checks), as plain checks. */
export const clarificationChannelChecks: readonly PortCheck<OpenedClarificationChannel>[] = [
  {
    name: 'a question asked twice with one idempotency key is one message in one thread',
    async run(world) {
      const first = await world.channel.openThread(world.item, QUESTION, conformanceKey('question-1'));
      expect(first.threadId).toEqual(expect.any(String));
      expect(first.threadId).not.toBe('');
      const again = await world.channel.openThread(world.item, QUESTION, conformanceKey('question-1'));
      expect(again).toEqual(first);
      await expectPosted(world, 1, QUESTION);
    },
  },
  {
    name: 'past its deadline (an aborted signal) a question or a reply is refused and not posted',
    async run(world) {
      await expect(
        world.channel.openThread(world.item, QUESTION, pastDeadline('late-question')),
      ).rejects.toThrow();
      expect(await world.messages()).toHaveLength(0);
      const { threadId } = await world.channel.openThread(world.item, QUESTION, conformanceKey('question-1'));
      await expect(world.channel.reply(threadId, 'Too late.', pastDeadline('late-reply'))).rejects.toThrow();
      await expectPosted(world, 1, QUESTION);
    },
  },
  {
    name: 'a question with another idempotency key is another message',
    async run(world) {
      await world.channel.openThread(world.item, QUESTION, conformanceKey('question-1'));
      await world.channel.openThread(world.item, 'And which columns?', conformanceKey('question-2'));
      await expectPosted(world, 2, 'And which columns?');
    },
  },
  {
    name: 'a reply written twice with one idempotency key is one message; another key is another',
    async run(world) {
      const { threadId } = await world.channel.openThread(world.item, QUESTION, conformanceKey('question-1'));
      await world.channel.reply(threadId, 'Thanks, that is enough to start.', conformanceKey('reply-1'));
      await world.channel.reply(threadId, 'Thanks, that is enough to start.', conformanceKey('reply-1'));
      await expectPosted(world, 2, 'Thanks, that is enough to start.');
      await world.channel.reply(threadId, 'An agent has started.', conformanceKey('reply-2'));
      await expectPosted(world, 3, 'An agent has started.');
    },
  },
];

/**
 * Registers the ClarificationChannel conformance suite with the connection checks `claims` call for.
 * `open` is called once per check, and its `close` after it.
 */
export const clarificationChannelConformance = rolePortConformance(
  'ClarificationChannel',
  clarificationChannelChecks,
  (world) => world.channel,
);
