import { expect } from 'vitest';
import type { WorkItemProvider, WritebackState } from '../ports/work-item-provider.ts';
import type { WorkItem } from '../work-item.ts';
import type { VendorControls } from './connection-conformance.ts';
import type { PortCheck } from './port-conformance.ts';
import { conformanceKey, pastDeadline, rolePortConformance } from './role-port-conformance.ts';

/** A tracker provider in a world of its own: a tracker holding one item ready for dispatch. */
export interface OpenedWorkItemProvider extends VendorControls {
  provider: WorkItemProvider;
  /** How people refer to the ready item (its key, id or URL); the factory has done nothing to it yet. */
  readyItem: string;
  /** A reference of the same form to an item the tracker does not hold. */
  absentItem: string;
  /** How many writes the tracker has taken so far (state, label and comment changes), seen from its side. */
  writes(): number | Promise<number>;
  /** The text of the ready item's comments at the tracker, oldest first, as people read them. */
  comments(): readonly string[] | Promise<readonly string[]>;
}

export type WorkItemProviderOpener = () => Promise<OpenedWorkItemProvider>;

async function readyItem(world: OpenedWorkItemProvider): Promise<WorkItem> {
  const item = await world.provider.getWorkItem(world.readyItem);
  if (!item) throw new Error(`the tracker should hold ${world.readyItem}`);
  return item;
}

async function readBack(world: OpenedWorkItemProvider, item: WorkItem): Promise<WorkItem> {
  const back = await world.provider.getWorkItem(item.id);
  if (!back) throw new Error(`${item.key} should still read back by its id`);
  return back;
}

/** Writes the state as the factory does, keyed by the state. */
function setState(world: OpenedWorkItemProvider, item: WorkItem, state: WritebackState): Promise<void> {
  return world.provider.setState(item, state, conformanceKey(state));
}

/** The write again, as a retry sends it (with the item as read before the first attempt): the tracker takes none. */
async function expectRepeatWritesNothing(
  world: OpenedWorkItemProvider,
  item: WorkItem,
  state: WritebackState,
): Promise<void> {
  const written = await world.writes();
  await setState(world, item, state);
  expect(await world.writes()).toBe(written);
}

/** Every behaviour a WorkItemProvider must have (besides `claims`' connection checks), as plain checks. */
export const workItemProviderChecks: readonly PortCheck<OpenedWorkItemProvider>[] = [
  {
    name: 'reads the ready item by its reference, its id and its key alike, ready for dispatch',
    async run(world) {
      const item = await readyItem(world);
      expect(world.provider.isReadyForDispatch(item)).toBe(true);
      expect(await world.provider.getWorkItem(item.id)).toEqual(item);
      expect(await world.provider.getWorkItem(item.key)).toEqual(item);
    },
  },
  {
    name: 'reads undefined for an item the tracker does not hold',
    async run(world) {
      expect(await world.provider.getWorkItem(world.absentItem)).toBeUndefined();
    },
  },
  {
    name: 'dispatched: the item reads back out of ready; the same write again writes nothing',
    async run(world) {
      const item = await readyItem(world);
      const before = await world.writes();
      await setState(world, item, 'dispatched');
      const written = await world.writes();
      expect(written).toBeGreaterThan(before);
      expect(world.provider.isReadyForDispatch(await readBack(world, item))).toBe(false);
      // A retry carries the item as it was read before the first attempt.
      await setState(world, item, 'dispatched');
      expect(await world.writes()).toBe(written);
    },
  },
  {
    name: 'done: the item reads back done; the same write again writes nothing',
    async run(world) {
      const item = await readyItem(world);
      await setState(world, item, 'dispatched');
      await setState(world, item, 'done');
      expect((await readBack(world, item)).state).toBe('done');
      await expectRepeatWritesNothing(world, item, 'done');
    },
  },
  {
    name: 'cancelled: the item reads back neither ready (nothing restarts it) nor closed; again writes nothing',
    async run(world) {
      const item = await readyItem(world);
      await setState(world, item, 'dispatched');
      await setState(world, item, 'cancelled');
      // After a last failed attempt the item is still as ready as it was: only the write-back takes it out,
      // or the tracker's webhook for the factory's own write would start it all over again.
      const back = await readBack(world, item);
      expect(world.provider.isReadyForDispatch(back)).toBe(false);
      // Where it goes from here is the person's call: the factory closes nothing.
      expect(['done', 'cancelled']).not.toContain(back.state);
      await expectRepeatWritesNothing(world, item, 'cancelled');
    },
  },
  {
    name: 'past its deadline (an aborted signal) a write is refused and changes nothing',
    async run(world) {
      const item = await readyItem(world);
      const [writes, comments] = [await world.writes(), (await world.comments()).length];
      await expect(
        world.provider.postComment(item, 'Too late.', pastDeadline('late-comment')),
      ).rejects.toThrow();
      await expect(world.provider.setState(item, 'dispatched', pastDeadline('late-state'))).rejects.toThrow();
      expect(await world.writes()).toBe(writes);
      expect(await world.comments()).toHaveLength(comments);
      expect(world.provider.isReadyForDispatch(await readBack(world, item))).toBe(true);
    },
  },
  {
    name: 'a comment written twice with one idempotency key is one comment; another key is another',
    async run(world) {
      const item = await readyItem(world);
      const before = (await world.comments()).length;
      await world.provider.postComment(item, 'An agent is working on this.', conformanceKey('comment-1'));
      await world.provider.postComment(item, 'An agent is working on this.', conformanceKey('comment-1'));
      const once = await world.comments();
      expect(once).toHaveLength(before + 1);
      expect(once.at(-1)).toContain('An agent is working on this.');
      await world.provider.postComment(item, 'The agent has finished.', conformanceKey('comment-2'));
      const twice = await world.comments();
      expect(twice).toHaveLength(before + 2);
      expect(twice.at(-1)).toContain('The agent has finished.');
    },
  },
];

/**
 * Registers the WorkItemProvider conformance suite with the connection checks `claims` call for. `open`
 * is called once per check, and its `close` after it:
 *
 *   workItemProviderConformance('LinearWorkItemProvider', async () => {
 *     const linear = await startLinear();   // a loopback Linear holding ENG-42, ready
 *     return { provider: new LinearWorkItemProvider({ apiUrl: linear.url, token }), readyItem: 'ENG-42', … };
 *   });
 */
export const workItemProviderConformance = rolePortConformance(
  'WorkItemProvider',
  workItemProviderChecks,
  (world) => world.provider,
);
