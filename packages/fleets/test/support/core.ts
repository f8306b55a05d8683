import {
  createFactory,
  createFactoryApp,
  DefaultTaskTemplate,
  type Factory,
  type FleetClient,
  InMemoryStateStore,
  RuleTriage,
  resolveSettings,
  StaticTenantRegistry,
  type WebhookSource,
  type WorkItem,
} from '@software-factory/sdk';
import {
  FakeClarificationChannel,
  FakeClock,
  FakeOutputTarget,
  FakeWorkItemProvider,
  MemoryLogger,
  sampleWorkItem,
} from '@software-factory/sdk/testing';

export const TENANT = 'tenant-1';
export const RETRY_BACKOFF_MS = 60_000;

/** The core with in-memory fakes around one real fleet, mounted in the one HTTP app. */
export class CoreWithFleet {
  readonly clock: FakeClock;
  readonly store = new InMemoryStateStore();
  readonly tracker = new FakeWorkItemProvider();
  readonly template = new DefaultTaskTemplate();
  readonly logger = new MemoryLogger();
  readonly factory: Factory;
  readonly app: ReturnType<typeof createFactoryApp>;

  constructor(fleet: FleetClient, sources: WebhookSource[] = [], clock = new FakeClock(Date.now())) {
    this.clock = clock;
    const settings = resolveSettings({
      routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      retry: { maxAttempts: 3, backoff: RETRY_BACKOFF_MS },
    });
    this.factory = createFactory({
      tenant: TENANT,
      settings,
      ports: {
        store: this.store,
        workItems: this.tracker,
        clarifications: new FakeClarificationChannel(),
        outputs: new FakeOutputTarget(),
        fleet,
        triage: new RuleTriage(settings.routes),
        template: this.template,
        clock: this.clock,
        logger: this.logger,
      },
    });
    this.app = createFactoryApp({
      tenants: new StaticTenantRegistry([
        {
          id: TENANT,
          factory: this.factory,
          sources: new Map(sources.map((source) => [source.source, source])),
          connections: async () => [],
        },
      ]),
      store: this.store,
      version: 'test',
      clock: this.clock,
      logger: this.logger,
    });
  }

  item(id = 'item-7'): WorkItem {
    const item = sampleWorkItem({ id, key: 'ENG-7', updatedAt: new Date(this.clock.now()).toISOString() });
    this.tracker.items.set(item.id, item);
    return item;
  }

  async start(item: WorkItem) {
    return this.factory.handle({ type: 'work-item.changed', item });
  }

  /** Lets the retry backoff for the given attempt pass and runs the tick that re-dispatches. */
  async retryAfter(attempt: number) {
    this.clock.advance(RETRY_BACKOFF_MS * 2 ** (attempt - 1));
    return this.factory.handle({ type: 'tick' });
  }

  async openReadyOutput(item: WorkItem) {
    return this.factory.handle({
      type: 'output.changed',
      output: {
        id: 'acme/app#41',
        url: 'https://github.com/acme/app/pull/41',
        state: 'ready',
        branch: this.template.branchName(item),
        title: `${item.key}: ${item.title}`,
      },
    });
  }

  async record(workItemId = 'item-7') {
    return this.store.getRecord(TENANT, workItemId);
  }

  comments(workItemId = 'item-7'): string[] {
    return this.tracker.commentsFor(workItemId);
  }

  async post(source: string, body: string, headers: Record<string, string>): Promise<Response> {
    return this.app.request(`/t/${TENANT}/webhooks/${source}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  }
}
