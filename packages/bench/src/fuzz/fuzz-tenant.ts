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
  type Clock,
  createFactoryApp,
  FactoryMetrics,
  InMemoryStateStore,
  type StateStore,
  StaticTenantRegistry,
  type WebhookSource,
} from '@software-factory/sdk';
import {
  FactoryHarness,
  type FakeClock,
  MemoryLogger,
  queuedIn,
  slotsIn,
} from '@software-factory/sdk/testing';
import type { Hono } from 'hono';
import { BENCH_PERSON } from '../bench-tenant.ts';

export const FUZZ_TENANT = 'fuzz';
/** A second tenant of the same deployment: its credentials must never open the first one. */
export const OTHER_TENANT = 'fuzz-other';
// Test constants, not credentials.
export const FUZZ_SECRET = 'fuzz-webhook-secret-for-every-source';
export const FUZZ_ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef';
export const OTHER_ADMIN_TOKEN = 'fuzz-other-admin-token-0123456789';
export const FUZZ_OPERATOR_TOKEN = 'fuzz-operator-token-0123456789abcdef';
export const FUZZ_CHANNEL = 'C0FUZZ0001';
/** The header the fuzz app takes the peer address from (the stand-in for Node's socket). */
export const PEER_HEADER = 'x-fuzz-peer';
/** Proxies whose X-Forwarded-For the fuzz app believes. */
export const FUZZ_TRUSTED_PROXIES = ['10.0.0.0/8'];
/** The origin the fuzz requests are addressed to, so the app's own origin for its form posts. */
export const FUZZ_ORIGIN = 'http://127.0.0.1';

/**
 * The documents the app writes on purpose (names from the sdk's `admin-throttle.ts` and `sessions.ts`;
 * should they change, the fuzzer reports the renamed document as a forbidden write).
 */
export const THROTTLE_DOCUMENT = 'admin-auth-throttle';
export const SESSIONS_DOCUMENT = 'admin-sessions';
/** The throttle scope of the operator token (`OPERATOR_SCOPE` in the sdk's `admin-access.ts`). */
export const OPERATOR_SCOPE = '_operator';

/** Admin token by tenant id; no prototype, so an id such as `valueOf` finds nothing. */
export const ADMIN_TOKENS: Readonly<Record<string, string | undefined>> = Object.assign(Object.create(null), {
  [FUZZ_TENANT]: FUZZ_ADMIN_TOKEN,
  [OTHER_TENANT]: OTHER_ADMIN_TOKEN,
});

/** The StateStore methods that change something. */
export const WRITE_METHODS = new Set([
  'commit',
  'putDocument',
  'rememberEvent',
  'forgetEvent',
  'renewEvent',
  'keepEvent',
]);

/** One call the app made to the store: the method, the tenant scope, the document or delivery key. */
export interface StoreCall {
  method: string;
  tenant: string;
  document?: string;
  /** The delivery key of `rememberEvent`, `forgetEvent` and `keepEvent`. */
  key?: string;
}

/** A session as a browser holds it, made through a second instance of the app (see `mintSession`). */
export type SessionKind = 'valid' | 'revoked' | 'expired';

export interface FuzzTenant {
  app: Hono;
  /** The clock of the app and of both factories; the fuzzer moves it to let throttle waits run out. */
  clock: FakeClock;
  /** The store without the recorder, for the fuzzer's own reads. */
  store: StateStore;
  /** What the app logged (its errors say why it answered 500). */
  logger: MemoryLogger;
  sources: string[];
  /** Every store call since the last call (reads included), and the outgoing provider writes. */
  takeCalls(): { calls: StoreCall[]; outgoing: number };
  /** The records, queue and slots of both tenants, as text. */
  snapshot(): Promise<string>;
  /** Forgets what the fakes and the factories' loggers kept (the fuzzer's memory, not the app's). */
  forgetFakes(): void;
  /** A session cookie value of `tenant` as the login form gives it: current, revoked by a logout, or expired. */
  mintSession(tenant: string, kind: SessionKind): Promise<string>;
}

/** A fault planted in the app, to show the fuzzer sees it (its own tests). */
export type Sabotage = 'write-when-refused' | 'keep-memory' | 'buffer-bodies';

/**
 * One deployment with two tenants, the first with every webhook source the packages export (all on one
 * secret) and the dashboard on, over an in-memory store whose calls are recorded. Throttling of admin
 * and operator tokens is on, with its defaults; the peer address is whatever the request's
 * `x-fuzz-peer` header says, so the fuzzer plays many clients. The factories' own ports are the core's
 * fakes; a source that asks its vendor while reading a delivery (Linear, for label names) asks the
 * loopback vendor.
 */
export function fuzzTenant(mountDir: string, vendorUrl: string, sabotage?: Sabotage): FuzzTenant {
  const inner = new InMemoryStateStore();
  let calls: StoreCall[] = [];
  const store = recording(inner, (call) => calls.push(call));
  const harness = new FactoryHarness({ tenant: FUZZ_TENANT, store });
  const other = new FactoryHarness({ tenant: OTHER_TENANT, store, clock: harness.clock });
  const clock = harness.clock;
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
  const registry = new StaticTenantRegistry([
    {
      id: FUZZ_TENANT,
      factory: harness.factory,
      sources: new Map(sources.map((source) => [source.source, source])),
      connections: async () => [],
      adminToken: FUZZ_ADMIN_TOKEN,
    },
    {
      id: OTHER_TENANT,
      factory: other.factory,
      sources: new Map(),
      connections: async () => [],
      adminToken: OTHER_ADMIN_TOKEN,
    },
  ]);
  const app = createFactoryApp({
    logger,
    tenants: registry,
    store,
    version: 'fuzz',
    metrics,
    clock,
    operatorToken: FUZZ_OPERATOR_TOKEN,
    trustedProxies: FUZZ_TRUSTED_PROXIES,
    // The runtime's view of the peer; a header stands in for Node's socket here.
    clientAddress: (c) => c.req.header(PEER_HEADER),
    // adminThrottle: the defaults, as deployed (5 per address, 30 per tenant, 1 s doubling to 15 min).
  });

  if (sabotage) plant(app, store, sabotage);

  // A second instance of the deployment, over the same store, that the fuzzer uses as a browser uses the
  // login form: to get session cookies (and to log some out) before a case runs. Its clock can be set
  // back, for sessions that are over by the time the case sends them. It is never fuzzed itself; its
  // throttle is off so that minting a session does not depend on the fuzz cases' failed tokens.
  let mintOffset = 0;
  const mintClock: Clock = { now: () => clock.now() + mintOffset };
  const minter = createFactoryApp({
    tenants: registry,
    store: inner,
    version: 'fuzz',
    clock: mintClock,
    adminThrottle: false,
  });
  const mintSession = async (tenant: string, kind: SessionKind): Promise<string> => {
    mintOffset = kind === 'expired' ? -13 * 3600_000 : 0;
    try {
      const login = await minter.request(`${FUZZ_ORIGIN}/t/${tenant}/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: ADMIN_TOKENS[tenant] ?? '' }),
        headers: { origin: FUZZ_ORIGIN },
      });
      const cookie = /^factory_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
      if (login.status !== 303 || !cookie) throw new Error(`minting a session failed: ${login.status}`);
      if (kind === 'revoked') {
        const logout = await minter.request(`${FUZZ_ORIGIN}/t/${tenant}/logout`, {
          method: 'POST',
          headers: { origin: FUZZ_ORIGIN, cookie: `factory_session=${cookie}` },
        });
        if (logout.status !== 303) throw new Error(`revoking a session failed: ${logout.status}`);
      }
      return cookie;
    } finally {
      mintOffset = 0;
    }
  };

  const harnesses = [harness, other];
  const outgoing = () =>
    harnesses.reduce((sum, h) => sum + h.tracker.writeCalls + h.chat.writeCalls + h.fleet.spawnCalls, 0);
  let lastOutgoing = outgoing();
  return {
    app,
    clock,
    store: inner,
    logger,
    sources: sources.map((source) => source.source),
    takeCalls() {
      const taken = calls;
      calls = [];
      const now = outgoing();
      const delta = now - lastOutgoing;
      lastOutgoing = now;
      return { calls: taken, outgoing: delta };
    },
    async snapshot() {
      const parts = [];
      for (const tenant of [FUZZ_TENANT, OTHER_TENANT])
        parts.push({
          records: await inner.listRecords(tenant, { limit: 10_000 }),
          queue: await queuedIn(inner, tenant),
          slots: await slotsIn(inner, tenant, 'tenant'),
        });
      return JSON.stringify(parts);
    },
    forgetFakes() {
      for (const h of harnesses) {
        h.logger.lines.length = 0;
        h.tracker.comments.length = 0;
      }
    },
    mintSession,
  };
}

/** Makes `app` write a document after each 401, keep 128 KiB per request, or read every body whole first. */
function plant(app: Hono, store: StateStore, sabotage: Sabotage): void {
  const kept: Uint8Array[] = [];
  const fetch = app.fetch;
  app.fetch = async (request, ...rest) => {
    if (sabotage === 'buffer-bodies' && request.body !== null) {
      const { url, method, headers } = request;
      request = new Request(url, { method, headers, body: await request.arrayBuffer() });
    }
    const response = await fetch(request, ...rest);
    if (sabotage === 'write-when-refused' && response.status === 401)
      await store.putDocument(FUZZ_TENANT, 'planted', { at: kept.length }, 0);
    if (sabotage === 'keep-memory') kept.push(new Uint8Array(128 * 1024).fill(1));
    return response;
  };
}

/** `store` with every call reported (method, tenant, document or delivery key) before it runs. */
function recording(store: StateStore, report: (call: StoreCall) => void): StateStore {
  return new Proxy(store, {
    get: (target, property, receiver) => {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        report({
          method: property,
          tenant: String(args[0]),
          ...(property === 'putDocument' || property === 'getDocument' ? { document: String(args[1]) } : {}),
          ...(['rememberEvent', 'forgetEvent', 'renewEvent', 'keepEvent'].includes(property)
            ? { key: String(args[1]) }
            : {}),
        });
        return (value as (...parameters: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
