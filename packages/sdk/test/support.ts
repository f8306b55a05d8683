import type { RouteConfig, Triage, WorkItem, WorkItemStatus } from '../src/index.ts';
import { RuleTriage, resolveSettings } from '../src/index.ts';
import {
  DEFAULT_TEST_SETTINGS,
  FactoryHarness,
  type HarnessOptions,
  queuedIn,
  slotsIn,
} from '../src/testing/index.ts';

/** A triage that fails while `failing` is true, then behaves like the rules. */
export class FlakyTriage implements Triage {
  failing = false;
  readonly #rules: RuleTriage;
  constructor(routes: readonly RouteConfig[]) {
    this.#rules = new RuleTriage(routes);
  }
  async triage(input: Parameters<Triage['triage']>[0]) {
    if (this.failing) throw new Error('triage backend unavailable');
    return this.#rules.triage(input);
  }
}

export interface Staged {
  h: FactoryHarness;
  item: WorkItem;
  triage: FlakyTriage;
}

export function harness(options: HarnessOptions = {}): { h: FactoryHarness; triage: FlakyTriage } {
  const settings = {
    ...DEFAULT_TEST_SETTINGS,
    retry: { maxAttempts: 1 },
    limits: { maxInFlight: 1 },
    ...options.settings,
  };
  const triage = new FlakyTriage(resolveSettings(settings).routes);
  const h = new FactoryHarness({ triage, ...options, settings });
  return { h, triage };
}

/** Brings one work item (`item-1`) into `status` through real events. */
export async function stage(status: WorkItemStatus, options: HarnessOptions = {}): Promise<Staged> {
  const { h, triage } = harness(options);
  let item: WorkItem;
  switch (status) {
    case 'new':
      triage.failing = true;
      item = h.clearItem('item-1');
      await h.factory.handle(h.changed(item));
      triage.failing = false;
      break;
    case 'waiting-clarification':
    case 'cancelled':
      item = h.vagueItem('item-1');
      await h.factory.handle(h.changed(item));
      if (status === 'cancelled') {
        item = h.edit(item, { state: 'backlog' });
        await h.factory.handle(h.changed(item));
      }
      break;
    case 'blocked': {
      const blocker = h.clearItem('item-8', { state: 'backlog', labels: [] });
      item = h.clearItem('item-1', { description: `${blocker.description}\n\nBlocked by: ${blocker.key}` });
      await h.factory.handle(h.changed(item));
      break;
    }
    case 'queued': {
      const blocker = h.clearItem('item-9');
      await h.factory.handle(h.changed(blocker));
      item = h.clearItem('item-1');
      await h.factory.handle(h.changed(item));
      break;
    }
    case 'dispatched':
    case 'done':
    case 'failed':
      item = h.clearItem('item-1');
      await h.factory.handle(h.changed(item));
      if (status === 'done') await h.factory.handle(h.output(item, 'ready'));
      if (status === 'failed')
        await h.factory.handle({ type: 'agent.exited', agentId: 'agent-1', outcome: 'failed', exitCode: 1 });
      break;
  }
  if ((await h.status('item-1')) !== status)
    throw new Error(`could not stage ${status}: got ${await h.status('item-1')}`);
  return { h, item, triage };
}

/** A snapshot of everything a tenant has in the store, to show an event changed nothing. */
export async function storeSnapshot(h: FactoryHarness) {
  const records = await h.store.listRecords(h.tenant, { limit: 1000 });
  return {
    records: records.records,
    queue: await queuedIn(h.store, h.tenant),
    slots: await slotsIn(h.store, h.tenant, 'tenant'),
  };
}
