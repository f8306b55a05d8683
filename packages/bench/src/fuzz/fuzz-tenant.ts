import { FleetWebhookSource, WorkflowRunWebhookSource } from '@software-factory/fleets';
import {
  GithubIssuesWebhookSource,
  GithubIssuesWorkItemProvider,
  GithubWebhookSource,
  GitlabWebhookSource,
  JiraWebhookSource,
  JiraWorkItemProvider,
  LinearWebhookSource,
  LinearWorkItemProvider,
  SlackWebhookSource,
} from '@software-factory/providers';
import {
  MountClarificationChannel,
  MountOutputTarget,
  MountWorkItemProvider,
  RelayfileWebhookSource,
} from '@software-factory/relayfile';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import {
  createFactoryApp,
  FactoryMetrics,
  InMemoryStateStore,
  StaticTenantRegistry,
  type WebhookSource,
} from '@software-factory/sdk';
import { FactoryHarness, MemoryLogger } from '@software-factory/sdk/testing';
import type { Hono } from 'hono';
import { BENCH_PERSON } from '../bench-tenant.ts';
import { CountingStateStore } from '../counting-state-store.ts';

export const FUZZ_TENANT = 'fuzz';
// Test constants, not credentials.
export const FUZZ_SECRET = 'fuzz-webhook-secret-for-every-source';
export const FUZZ_ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef';
export const FUZZ_CHANNEL = 'C0FUZZ0001';

/** The StateStore methods that change something; an unauthenticated request must call none of them. */
export const WRITE_METHODS = new Set([
  'createRecord',
  'updateRecord',
  'putIndex',
  'deleteIndex',
  'rememberEvent',
  'forgetEvent',
  'enqueue',
  'dequeue',
  'acquireSlot',
  'releaseSlot',
  'putDocument',
]);

export interface FuzzTenant {
  app: Hono;
  /** What the app logged (its errors say why it answered 500). */
  logger: MemoryLogger;
  sources: string[];
  /** Store writes (by method) and outgoing writes since the last call. */
  takeWrites(): { store: Record<string, number>; outgoing: number };
  snapshot(): Promise<string>;
}

/**
 * One tenant with every webhook source the packages export, all on one secret, and the dashboard on,
 * over an in-memory store whose calls are counted. The factory's own ports are the core's fakes; a source
 * that asks its vendor while reading a delivery (Linear, for label names) asks the loopback vendor.
 */
export function fuzzTenant(mountDir: string, vendorUrl: string): FuzzTenant {
  const counting = new CountingStateStore(new InMemoryStateStore());
  const store = counting.store;
  const harness = new FactoryHarness({ tenant: FUZZ_TENANT, store });
  const mount = new DirectoryMount(mountDir);
  const mountSources = [
    new MountWorkItemProvider({ mount, stateIds: { dispatched: 'started', done: 'done' } }),
    new MountClarificationChannel({ mount, channel: FUZZ_CHANNEL }),
    new MountOutputTarget({ mount }),
  ];
  const sources: WebhookSource[] = [
    new LinearWebhookSource({
      secret: FUZZ_SECRET,
      provider: new LinearWorkItemProvider({
        apiUrl: `${vendorUrl}/linear/graphql`,
        token: 'lin_api_fuzz_loopback_only',
      }),
    }),
    new SlackWebhookSource({
      signingSecret: FUZZ_SECRET,
      channel: FUZZ_CHANNEL,
      trustedAuthors: { roles: [], users: [BENCH_PERSON] },
    }),
    new GithubWebhookSource({ secret: FUZZ_SECRET }),
    new GithubIssuesWebhookSource({
      secret: FUZZ_SECRET,
      provider: new GithubIssuesWorkItemProvider({
        baseUrl: 'http://127.0.0.1:9',
        repositories: [{ repository: 'Codertocat/Hello-World' }],
      }),
    }),
    new GitlabWebhookSource({ secret: FUZZ_SECRET }),
    new JiraWebhookSource({
      secret: FUZZ_SECRET,
      provider: new JiraWorkItemProvider({ siteUrl: 'http://127.0.0.1:9', email: 'bot@example.com' }),
    }),
    new RelayfileWebhookSource({ secret: FUZZ_SECRET, mount, sources: mountSources }),
    new FleetWebhookSource({ secret: FUZZ_SECRET }),
    new WorkflowRunWebhookSource({ secret: FUZZ_SECRET }),
  ];
  const metrics = new FactoryMetrics();
  const logger = new MemoryLogger();
  const app = createFactoryApp({
    logger,
    tenants: new StaticTenantRegistry([
      {
        id: FUZZ_TENANT,
        factory: harness.factory,
        sources: new Map(sources.map((source) => [source.source, source])),
        connections: async () => [],
        adminToken: FUZZ_ADMIN_TOKEN,
      },
    ]),
    store,
    version: 'fuzz',
    metrics,
    // Failed admin tokens are throttled through a store write (specified in the sdk's tests); here a
    // refused request must write nothing and the right token must always get in.
    adminThrottle: false,
  });
  const outgoing = () => harness.tracker.writeCalls + harness.chat.writeCalls + harness.fleet.spawnCalls;
  let lastOutgoing = outgoing();
  return {
    app,
    logger,
    sources: sources.map((source) => source.source),
    takeWrites() {
      const store = Object.fromEntries(
        Object.entries(counting.take()).filter(([method]) => WRITE_METHODS.has(method)),
      );
      const now = outgoing();
      const delta = now - lastOutgoing;
      lastOutgoing = now;
      return { store, outgoing: delta };
    },
    async snapshot() {
      const snapshot = JSON.stringify({
        records: await store.listRecords(FUZZ_TENANT, { limit: 10_000 }),
        queue: await store.listQueue(FUZZ_TENANT, 10_000),
        slots: await store.listSlots(FUZZ_TENANT, 'tenant'),
      });
      counting.take();
      return snapshot;
    },
  };
}
