import { DefaultTaskTemplate } from '../default-task-template.ts';
import type {
  OutputChangedEvent,
  OutputFeedback,
  OutputFeedbackEvent,
  WorkItemChangedEvent,
} from '../events.ts';
import { createFactory, type Factory } from '../factory.ts';
import { InMemoryStateStore } from '../in-memory-state-store.ts';
import type { FleetClient } from '../ports/fleet-client.ts';
import type { Logger } from '../ports/logger.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { Triage } from '../ports/triage.ts';
import { RuleTriage } from '../rule-triage.ts';
import { type FactorySettingsInput, resolveSettings } from '../settings.ts';
import type { FactoryMetrics } from '../status/metrics.ts';
import type { OutputSnapshot, OutputState, WorkItem } from '../work-item.ts';
import {
  FakeClarificationChannel,
  FakeClock,
  FakeFleet,
  FakeOutputTarget,
  FakeWorkItemProvider,
  MemoryLogger,
} from './fakes.ts';
import type { FaultInjector } from './faults.ts';
import { sampleWorkItem } from './sample-record.ts';

export const DEFAULT_TEST_SETTINGS: FactorySettingsInput = {
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
  limits: { maxInFlight: 2 },
};

export interface HarnessOptions {
  tenant?: string;
  settings?: FactorySettingsInput;
  store?: StateStore;
  clock?: FakeClock;
  triage?: Triage;
  /** Wraps every port (the store included) so a test can make one call fail. */
  faults?: FaultInjector;
  /** A real fleet instead of the fake (whose helpers then see nothing). */
  fleet?: FleetClient;
  /** Counters the factory feeds, e.g. to serve `/t/:tenant/metrics` in a runtime test. */
  metrics?: FactoryMetrics;
  /** The runtime's own logger instead of the harness's `MemoryLogger` (a test of what a runtime logs). */
  logger?: Logger;
}

/**
 * A factory over in-memory fakes of every port, with helpers to write scenarios as events. Adapters
 * use it with their own store to run the core's scenarios unchanged.
 */
export class FactoryHarness {
  readonly tenant: string;
  readonly clock: FakeClock;
  readonly store: StateStore;
  readonly tracker = new FakeWorkItemProvider();
  readonly chat = new FakeClarificationChannel();
  readonly outputs = new FakeOutputTarget();
  readonly fleet = new FakeFleet();
  readonly template = new DefaultTaskTemplate();
  readonly logger = new MemoryLogger();
  readonly factory: Factory;
  #outputTime = Number.NEGATIVE_INFINITY;

  constructor(options: HarnessOptions = {}) {
    this.tenant = options.tenant ?? 'tenant-1';
    this.clock = options.clock ?? new FakeClock();
    // Records frozen: a core step that changed a record it was handed would throw here.
    this.store = options.store ?? new InMemoryStateStore({ freezeRecords: true });
    const settings = resolveSettings(options.settings ?? DEFAULT_TEST_SETTINGS);
    const wrap = <T extends object>(name: string, port: T): T =>
      options.faults ? options.faults.wrap(name, port) : port;
    this.factory = createFactory({
      tenant: this.tenant,
      settings,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ports: {
        store: wrap('store', this.store),
        workItems: wrap('workItems', this.tracker),
        clarifications: wrap('clarifications', this.chat),
        outputs: wrap('outputs', this.outputs),
        fleet: wrap('fleet', options.fleet ?? this.fleet),
        triage: wrap('triage', options.triage ?? new RuleTriage(settings.routes)),
        template: this.template,
        clock: this.clock,
        logger: options.logger ?? this.logger,
      },
    });
  }

  /** A clear, ready item (it dispatches without questions). */
  clearItem(id: string, overrides: Partial<WorkItem> = {}): WorkItem {
    return this.#remember(
      sampleWorkItem({
        id,
        key: `ENG-${id.replace(/\D/g, '') || '1'}`,
        updatedAt: this.#time(),
        ...overrides,
      }),
    );
  }

  /** A ready item too vague to start: triage asks a question. */
  vagueItem(id: string, overrides: Partial<WorkItem> = {}): WorkItem {
    return this.clearItem(id, { title: 'Fix it', description: 'It is broken.', ...overrides });
  }

  /** The item as changed a moment later. */
  edit(item: WorkItem, changes: Partial<WorkItem>): WorkItem {
    this.clock.advance(1);
    return this.#remember({ ...item, ...changes, updatedAt: this.#time() });
  }

  changed(item: WorkItem): WorkItemChangedEvent {
    return { type: 'work-item.changed', item };
  }

  /**
   * The output an agent opened for `item` on the branch the template gave it, as the code host reports
   * a change of it: each call is a later change (its `updatedAt` is the clock's time, or a millisecond
   * after the previous call's), so re-sending an event is a redelivery and holding one back reorders.
   */
  output(
    item: WorkItem,
    state: OutputState,
    number = 1,
    overrides: Partial<Pick<OutputSnapshot, 'branch' | 'updatedAt'>> = {},
  ): OutputChangedEvent {
    const branch = this.template.branchName(item);
    this.#outputTime = Math.max(this.clock.now(), this.#outputTime + 1);
    const snapshot = {
      id: `acme/app#${number}`,
      url: `https://code.example/acme/app/pull/${number}`,
      state,
      branch,
      title: `${item.key}: ${item.title}`,
      updatedAt: new Date(this.#outputTime).toISOString(),
      ...overrides,
    };
    this.outputs.outputs.set(snapshot.id, { ...snapshot, repository: 'acme/app' });
    return { type: 'output.changed', output: snapshot };
  }

  /** Feedback on the output `output(item, …, number)` reports: a review, a comment, a check or a push. */
  feedback(item: WorkItem, feedback: OutputFeedback, number = 1): OutputFeedbackEvent {
    return {
      type: 'output.feedback',
      output: {
        id: `acme/app#${number}`,
        url: `https://code.example/acme/app/pull/${number}`,
        branch: this.template.branchName(item),
        title: `${item.key}: ${item.title}`,
      },
      feedback,
    };
  }

  async record(workItemId: string) {
    return this.store.getRecord(this.tenant, workItemId);
  }

  async status(workItemId: string) {
    return (await this.record(workItemId))?.status;
  }

  #remember(item: WorkItem): WorkItem {
    this.tracker.items.set(item.id, item);
    return item;
  }

  #time(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
