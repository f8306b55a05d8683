import fc from 'fast-check';
import { expect } from 'vitest';
import { createFactory, type FactoryEvent, type StateStore, type WorkItem } from '../../src/index.ts';
import { FactoryHarness, FaultInjector, queuedIn, slotsIn } from '../../src/testing/index.ts';

/**
 * The core's property over any StateStore: random sequences of events, redeliveries, races between two
 * factory instances, ticks, injected faults and review feedback, over one store shared by two tenants,
 * keep the invariants. Every store runs it (the in-memory one in the core's tests, the durable ones in
 * theirs).
 */

const MAX_IN_FLIGHT = 2;
const ITEMS = ['item-1', 'item-2', 'item-3', 'item-4'];
const SETTINGS = {
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
  limits: { maxInFlight: MAX_IN_FLIGHT },
  retry: { maxAttempts: 2, backoff: '1m' },
};
const CLEAR =
  'Print the rows as JSON when --json is given. Done when each row is one JSON object and tests pass.';

type Command =
  | { kind: 'edit'; item: number; ready: boolean; clear: boolean }
  | { kind: 'redeliver'; back: number }
  | { kind: 'reply'; item: number }
  | { kind: 'output'; item: number; state: 'draft' | 'ready' | 'merged' | 'closed' }
  | { kind: 'exit'; item: number; outcome: 'succeeded' | 'failed' | 'lost' }
  | { kind: 'tick'; advance: number }
  | { kind: 'fault'; at: number; mode: 'before' | 'after' }
  | { kind: 'race'; back: number }
  | { kind: 'feedback'; item: number; from: 'reviewer' | 'check' | 'stranger' | 'push' };

const item = fc.integer({ min: 0, max: ITEMS.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      item,
      ready: fc.boolean(),
      clear: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), back: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('race' as const), back: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reply' as const), item }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('output' as const),
      item,
      state: fc.constantFrom('draft', 'ready', 'merged', 'closed'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('feedback' as const),
      item,
      from: fc.constantFrom('reviewer', 'reviewer', 'check', 'stranger', 'push'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('exit' as const),
      item,
      outcome: fc.constantFrom('succeeded', 'failed', 'lost'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      advance: fc.constantFrom(0, 31_000, 61_000, 86_400_000),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      at: fc.integer({ min: 1, max: 25 }),
      mode: fc.constantFrom('before', 'after'),
    }),
  },
);

/** Two items already dispatched, then mostly what follows a pull request: feedback, exits, outputs. */
const twoItems = fc.integer({ min: 0, max: 1 });
const afterDispatch: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('feedback' as const),
      item: twoItems,
      from: fc.constantFrom('reviewer', 'reviewer', 'check', 'stranger', 'push'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('exit' as const),
      item: twoItems,
      outcome: fc.constantFrom('succeeded', 'succeeded', 'succeeded', 'failed', 'lost'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('output' as const),
      item: twoItems,
      state: fc.constantFrom('draft', 'ready', 'ready', 'merged'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), back: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), back: fc.nat(10) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      advance: fc.constantFrom(0, 61_000, 86_400_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      at: fc.integer({ min: 1, max: 25 }),
      mode: fc.constantFrom('before', 'after'),
    }),
  },
);

/** One way of running the property: what completes an item, how it starts, which events follow. */
export interface PropertyRun {
  completion: 'ready' | 'merged';
  start: 'empty' | 'dispatched';
  commands: fc.Arbitrary<Command>;
}

export const PROPERTY_RUNS: readonly PropertyRun[] = [
  { completion: 'ready', start: 'empty', commands: command },
  // With completion at the merge, an item stays dispatched while its pull request waits for review,
  // which is when review feedback starts rounds.
  { completion: 'merged', start: 'dispatched', commands: afterDispatch },
];

/** Two factory instances (think: two Lambdas) over one store and one set of fakes, with faults. */
function system(tenant: string, store: StateStore, completion: 'ready' | 'merged') {
  const faults = new FaultInjector();
  const h = new FactoryHarness({
    tenant,
    store,
    settings: { ...SETTINGS, completion: { on: completion } },
    faults,
  });
  const twin = createFactory({ tenant, settings: h.factory.settings, ports: { ...h.factory.ports } });
  const latest = new Map<string, WorkItem>();
  const sent: FactoryEvent[] = [];
  let peakInFlight = 0;
  let peakPerItem = 0;
  const observe = () => {
    const running = h.fleet.running();
    peakInFlight = Math.max(peakInFlight, running.length);
    for (const id of ITEMS) {
      const mine = h.fleet.agentsFor(id).filter((agent) => running.includes(agent)).length;
      peakPerItem = Math.max(peakPerItem, mine);
    }
  };
  const handle = async (event: FactoryEvent, instance = 0) => {
    try {
      await (instance === 0 ? h.factory : twin).handle(event);
    } catch {
      // a crashed handler: the sender retries later, or the tick repairs
    }
    observe();
  };
  const send = async (event: FactoryEvent) => {
    sent.push(event);
    await handle(event);
  };
  return {
    h,
    faults,
    latest,
    get peakInFlight() {
      return peakInFlight;
    },
    /** The most agents running for one item at any moment. */
    get peakPerItem() {
      return peakPerItem;
    },
    async run(cmd: Command) {
      switch (cmd.kind) {
        case 'edit': {
          const id = ITEMS[cmd.item] as string;
          const previous = latest.get(id);
          const changes: Partial<WorkItem> = {
            state: cmd.ready ? 'todo' : 'backlog',
            title: cmd.clear ? 'Add a --json flag to the export command' : 'Fix it',
            description: cmd.clear ? CLEAR : 'Broken.',
          };
          const next = previous ? h.edit(previous, changes) : h.clearItem(id, changes);
          latest.set(id, next);
          return send(h.changed(next));
        }
        case 'redeliver': {
          const event = sent[sent.length - 1 - (cmd.back % Math.max(1, sent.length))];
          return event ? handle(event) : undefined;
        }
        case 'race': {
          const event = sent[sent.length - 1 - (cmd.back % Math.max(1, sent.length))];
          if (event) await Promise.all([handle(event, 0), handle(event, 1), handle(event, 1)]);
          return;
        }
        case 'reply': {
          const thread = h.chat.threadFor(ITEMS[cmd.item] as string);
          if (!thread) return;
          return send({
            type: 'clarification.replied',
            threadId: thread,
            messageId: `m-${sent.length}`,
            author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
            text: CLEAR,
          });
        }
        case 'output': {
          const current = latest.get(ITEMS[cmd.item] as string);
          return current ? send(h.output(current, cmd.state, cmd.item + 1)) : undefined;
        }
        case 'feedback': {
          const current = latest.get(ITEMS[cmd.item] as string);
          if (!current) return;
          const id = `fb-${sent.length}`;
          const person = { id: 'mona', trusted: cmd.from !== 'stranger', reason: 'a member' };
          return send(
            h.feedback(
              current,
              cmd.from === 'check'
                ? { kind: 'check-failed', id, name: 'ci', conclusion: 'failure' }
                : cmd.from === 'push'
                  ? { kind: 'pushed', id, author: person }
                  : {
                      kind: 'review',
                      id,
                      author: person,
                      verdict: 'changes-requested',
                      body: 'Add a test.',
                      comments: [],
                    },
              cmd.item + 1,
            ),
          );
        }
        case 'exit': {
          const agent = h.fleet.agentsFor(ITEMS[cmd.item] as string).at(-1);
          if (!agent) return;
          if (cmd.outcome !== 'lost') h.fleet.exit(agent, cmd.outcome === 'succeeded' ? 0 : 1);
          return send({
            type: 'agent.exited',
            agentId: agent,
            outcome: cmd.outcome,
            exitCode: cmd.outcome === 'succeeded' ? 0 : 1,
          });
        }
        case 'tick':
          h.clock.advance(cmd.advance);
          return handle({ type: 'tick' }, 1);
        case 'fault':
          faults.failAt(cmd.at, cmd.mode);
          return;
      }
    },
    /** No more faults; senders retry what they sent; the cron ticks. */
    async quiesce() {
      faults.clear();
      for (let round = 0; round < 4; round++) {
        h.clock.advance(31_000);
        for (const event of sent.slice(-20)) await handle(event);
        await handle({ type: 'tick' });
      }
    },
  };
}

// With completion at the merge, an item stays dispatched while its pull request waits for review, which
// is when review feedback starts rounds.
/** A store for one run and the two tenants it keeps apart (fresh ones, where the store is shared). */
export type PropertyWorld = () => Promise<{ store: StateStore; tenants: [string, string] }>;

/**
 * 1 at most one agent per run and attempt, and per item at once; 2 nothing lost; 3 never more than
 * maxInFlight running; 4 tenants apart.
 */
export async function checkTwoWriterInvariants(
  world: PropertyWorld,
  numRuns: number,
  run: PropertyRun = PROPERTY_RUNS[0] as PropertyRun,
): Promise<void> {
  const { completion, start, commands: commandSequence } = run;
  await fc.assert(
    fc.asyncProperty(fc.array(commandSequence, { minLength: 5, maxLength: 60 }), async (commands) => {
      const { store, tenants } = await world();
      const [tenantA, tenantB] = tenants;
      const a = system(tenantA, store, completion);
      const b = system(tenantB, store, completion);
      // tenant b holds one dispatched item with the same id the whole time
      const bItem = b.h.clearItem('item-1', { description: CLEAR });
      await b.h.factory.handle(b.h.changed(bItem));
      const bBefore = await store.getRecord(tenantB, 'item-1');

      if (start === 'dispatched')
        for (const item of [0, 1]) await a.run({ kind: 'edit', item, ready: true, clear: true });
      for (const cmd of commands) await a.run(cmd);
      await a.quiesce();
      const { h } = a;

      // 1. one agent per (item, run, attempt): every spawn key maps to one agent, attempts within the limit
      const keys = [...h.fleet.agents.values()].map((agent) => agent.request.idempotencyKey);
      expect(new Set(keys).size).toBe(keys.length);
      // Attempts: the retries of the first, and as many again for each feedback round (at most 3).
      for (const agent of h.fleet.agents.values())
        expect(agent.request.attempt).toBeLessThanOrEqual(2 * (1 + 3));
      // Never two agents on one item at once, feedback rounds included.
      expect(a.peakPerItem).toBeLessThanOrEqual(1);

      // 3. never more than the limit running at once
      expect(a.peakInFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      expect(h.fleet.peakRunning).toBeLessThanOrEqual(MAX_IN_FLIGHT);

      // 2. nothing lost: every effect finished, every ready item is somewhere the factory acts on it
      for (const [id, latest] of a.latest) {
        const record = await h.record(id);
        if (!record) {
          expect(h.tracker.isReadyForDispatch(latest)).toBe(false);
          continue;
        }
        expect(record.pending, `${id} unfinished effects`).toEqual([]);
        expect(record.item.updatedAt).toBe(latest.updatedAt);
        if (record.status === 'dispatched')
          expect(record.dispatch?.agentId, `${id} dispatched without agent`).toBeDefined();
        if (record.status === 'queued') {
          const queue = await queuedIn(store, tenantA);
          expect(
            queue.some((entry) => entry.workItemId === id),
            `${id} queued but not in the queue`,
          ).toBe(true);
        }
        expect(record.status).not.toBe('new');
      }
      const inFlight = (await store.listRecords(tenantA, { statuses: ['dispatched'] })).records.length;
      expect((await slotsIn(store, tenantA, 'tenant')).length).toBe(inFlight);
      const queued = (await store.listRecords(tenantA, { statuses: ['queued'] })).records;
      if (queued.some((record) => record.retryAt === undefined)) expect(inFlight).toBe(MAX_IN_FLIGHT);

      // 4. tenant b untouched
      expect(await store.getRecord(tenantB, 'item-1')).toEqual(bBefore);
      expect(b.h.fleet.agents.size).toBe(1);
    }),
    { numRuns, seed: Number(process.env.FACTORY_PROPERTY_SEED ?? 20261125) },
  );
}
