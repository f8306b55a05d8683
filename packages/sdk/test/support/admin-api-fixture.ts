// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${NAME} references literally.
import { THROTTLE_DOCUMENT } from '../../src/http/admin-throttle.ts';
import {
  type ConfigIssue,
  type ConnectionStatus,
  ConnectRefusedError,
  type ConnectStart,
  createFactoryApp,
  type FactoryAppOptions,
  InMemoryStateStore,
  type RemoteConnector,
  StoredTenantRegistry,
  StoreTenantDirectory,
  type TenantRuntime,
} from '../../src/index.ts';
import { FactoryHarness, FakeClock, MemoryLogger } from '../../src/testing/index.ts';

// One deployment for the admin API's tests: the real directory and registry over an in-memory store,
// a tenant of the config ("pinned"), stored tenants built with a fake connector, a validate that
// refuses what a deployment would.

export const ORIGIN = 'http://factory.test';
export const OPERATOR = 'operator-token-for-the-admin-api-tests-0001';
export const PINNED_ADMIN = 'admin-token-of-the-config-tenant-00000001';
/** The provider every stored tenant of the fixture signs in to. */
export const PROVIDER = 'tracker';

/** A tenant entry as the config file's `tenants:` list holds one; secrets as references. */
export function tenantEntry(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    intentProvider: PROVIDER,
    tracker: { apiKey: '${TRACKER_API_KEY}', team: 'ENG' },
    routes: [{ name: 'app', match: { labels: ['factory'] }, repository: `${id}/app`, agent: 'coder' }],
    ...extra,
  };
}

const REFERENCE = /^\$\{[A-Z][A-Z0-9_]*\}$/;
const SECRET_KEY = /(token|secret|key|password)$/i;

/**
 * What the deployment's validate says, in small: `intentProvider` must be a known provider, routes a
 * list, and every secret-looking field a reference, never the secret itself.
 */
export async function validateTenant(_id: string, config: Record<string, unknown>): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  if (config.intentProvider !== PROVIDER)
    issues.push({ path: ['intentProvider'], message: `unknown provider; expected "${PROVIDER}"` });
  if (config.routes !== undefined && !Array.isArray(config.routes))
    issues.push({ path: ['routes'], message: 'expected a list of routes' });
  const walk = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, [...path, index]);
    } else if (typeof value === 'object' && value !== null)
      for (const [key, inner] of Object.entries(value)) {
        if (SECRET_KEY.test(key) && typeof inner === 'string' && !REFERENCE.test(inner))
          issues.push({ path: [...path, key], message: 'a secret must be a reference such as ${NAME}' });
        walk(inner, [...path, key]);
      }
  };
  walk(config, []);
  return issues;
}

/**
 * A connector as the deployed app runs one, in memory: it remembers each `state` it issued (for its
 * tenant and provider, single use, ten minutes) and connects the provider when the vendor's redirect
 * brings one back.
 */
export class FakeConnector implements RemoteConnector {
  readonly issued = new Map<string, { provider: string; expiresAt: number; used: boolean }>();
  readonly connected = new Map<string, ConnectionStatus>();
  readonly begun: { provider: string; redirectUri: string; scopes: readonly string[] | undefined }[] = [];
  /** A message `begin` refuses with, when set (a vendor the deployment has no OAuth app for). */
  refuseBegin: ConnectRefusedError | undefined;

  readonly tenant: string;
  readonly clock: FakeClock;
  readonly names: readonly string[];

  constructor(tenant: string, clock: FakeClock, names: readonly string[] = [PROVIDER]) {
    this.tenant = tenant;
    this.clock = clock;
    this.names = names;
  }

  providers(): string[] {
    return [...this.names];
  }

  async begin(
    provider: string,
    options: { redirectUri: string; scopes?: readonly string[] },
  ): Promise<ConnectStart> {
    if (!this.names.includes(provider)) throw new ConnectRefusedError(404, `no provider ${provider}`);
    if (this.refuseBegin) throw this.refuseBegin;
    this.begun.push({ provider, redirectUri: options.redirectUri, scopes: options.scopes });
    const state = crypto.randomUUID();
    const expiresAt = this.clock.now() + 10 * 60_000;
    this.issued.set(state, { provider, expiresAt, used: false });
    const scopes = [...(options.scopes ?? ['read'])];
    const query = new URLSearchParams({ state, redirect_uri: options.redirectUri, scope: scopes.join(' ') });
    return {
      flow: 'authorization-code',
      provider,
      authorizationUrl: `https://vendor.test/authorize?${query}`,
      scopes,
      expiresAt,
    };
  }

  async callback(provider: string, url: URL): Promise<ConnectionStatus> {
    const error = url.searchParams.get('error');
    if (error)
      throw new ConnectRefusedError(
        400,
        `the vendor said: ${url.searchParams.get('error_description') ?? error}`,
      );
    const issue = this.issued.get(url.searchParams.get('state') ?? '');
    if (!issue || issue.provider !== provider)
      throw new ConnectRefusedError(400, 'this sign-in is not known here; start it again');
    if (issue.used) throw new ConnectRefusedError(410, 'this sign-in was already completed');
    if (this.clock.now() > issue.expiresAt) throw new ConnectRefusedError(410, 'this sign-in has expired');
    issue.used = true;
    const code = url.searchParams.get('code') ?? '';
    // The vendor's token endpoint failing; its message quotes what it was sent.
    if (code.startsWith('vendor-down')) throw new Error(`token exchange failed for code ${code}`);
    const status: ConnectionStatus = {
      state: 'connected',
      identity: `bot@${this.tenant}`,
      grantedScopes: ['read'],
    };
    this.connected.set(provider, status);
    return status;
  }

  async progress(provider: string) {
    const status = this.connected.get(provider);
    if (status) return { state: 'connected' as const, status };
    const pending = [...this.issued.values()].find((issue) => issue.provider === provider && !issue.used);
    if (pending)
      return { state: 'pending' as const, flow: 'authorization-code' as const, expiresAt: pending.expiresAt };
    return { state: 'none' as const };
  }

  /** The `state` of the latest sign-in this connector started. */
  lastState(): string {
    return [...this.issued.keys()].at(-1) ?? '';
  }
}

/** An InMemoryStateStore that remembers every document it was asked to write, except throttle counts. */
export class RecordingStore extends InMemoryStateStore {
  readonly writes: string[] = [];

  override async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number) {
    if (name !== THROTTLE_DOCUMENT) this.writes.push(`${tenant}/${name}`);
    return super.putDocument(tenant, name, value, expectedVersion);
  }
}

export interface DeploymentOptions {
  /** null: the app has no operator token. */
  operatorToken?: string | null;
  /** false: the app is given no tenant directory. */
  admin?: boolean;
  /** false: stored tenants have no connector (no credentials key). */
  connectors?: boolean;
  publicUrl?: string;
  app?: Partial<FactoryAppOptions>;
}

/** A deployment with one tenant of its config ("pinned") and whatever the tests store. */
export function deployment(options: DeploymentOptions = {}) {
  const clock = new FakeClock();
  const store = new RecordingStore();
  const logger = new MemoryLogger();
  const directory = new StoreTenantDirectory(store, clock);
  const connectors = new Map<string, FakeConnector>();
  const connectorOf = (id: string) => {
    const connector = connectors.get(id) ?? new FakeConnector(id, clock);
    connectors.set(id, connector);
    return connector;
  };
  const runtime = (id: string, extra: Partial<TenantRuntime> = {}): TenantRuntime => {
    const connector = options.connectors === false ? undefined : connectorOf(id);
    return {
      id,
      factory: new FactoryHarness({ tenant: id, store, clock }).factory,
      sources: new Map(),
      connections: async () => [
        {
          provider: PROVIDER,
          role: 'intake',
          status: connector?.connected.get(PROVIDER) ?? { state: 'needs-auth', reason: 'not signed in' },
        },
      ],
      ...(connector ? { connector } : {}),
      ...extra,
    };
  };
  const registry = new StoredTenantRegistry({
    directory,
    build: (stored) => {
      // What a config that passed validation may still fail at: a vendor's client refusing it.
      if (stored.config.unbuildable) throw new Error(`tenant ${stored.id} cannot be built`);
      return runtime(stored.id);
    },
    pinned: [runtime('pinned', { adminToken: PINNED_ADMIN })],
    clock,
    logger,
  });
  const changed: string[] = [];
  const removed: string[] = [];
  const operatorToken = options.operatorToken === null ? undefined : (options.operatorToken ?? OPERATOR);
  const app = createFactoryApp({
    tenants: registry,
    store,
    version: '1.0.0',
    clock,
    logger,
    clientAddress: (c) => c.req.header('x-test-peer'),
    ...(operatorToken ? { operatorToken } : {}),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.admin === false
      ? {}
      : {
          admin: {
            directory,
            validate: validateTenant,
            changed: (id: string) => {
              changed.push(id);
              registry.invalidate(id);
            },
            removed: async (id: string) => {
              removed.push(id);
            },
          },
        }),
    ...options.app,
  });

  const request = (
    method: string,
    path: string,
    init: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return app.request(`${ORIGIN}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  };

  /** Creates a stored tenant through the API as the operator; its one-time admin token. */
  const create = async (id: string, extra: Record<string, unknown> = {}) => {
    const response = await request('POST', '/admin/tenants', {
      token: OPERATOR,
      body: tenantEntry(id, extra),
    });
    if (response.status !== 201)
      throw new Error(`creating ${id}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { adminToken: string }).adminToken;
  };

  /** Everything the directory holds, to compare before and after a refused request. */
  const snapshot = async () => {
    const ids = await directory.list();
    return { ids, tenants: await Promise.all(ids.map((id) => directory.get(id))) };
  };

  return {
    app,
    clock,
    store,
    logger,
    directory,
    registry,
    connectorOf,
    changed,
    removed,
    request,
    create,
    snapshot,
  };
}

export type Deployment = ReturnType<typeof deployment>;
