// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant configs hold ${NAME} references literally.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { providerRegistry } from '@software-factory/providers/registry';
import {
  type Clock,
  createFactoryApp,
  SealedBox,
  StoredCredentialStore,
  StoreTenantDirectory,
} from '@software-factory/sdk';
import { FakeClock } from '@software-factory/sdk/testing';
import type { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { CLIENT_ID, CLIENT_SECRET, consent } from '../../auth/test/support/loopback-oauth-server.ts';
import { linearSignature } from '../../providers/test/support/fixtures.ts';
import { tenantsAsData } from '../src/deploy/runtime/deployment-tenants.ts';
import { remoteTenantIssues } from '../src/deploy/runtime/remote-tenant-rules.ts';
import { signIns } from '../src/deploy/runtime/sign-in-support.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { SECRETS } from './support/deploy-scenario.ts';
import { RemoteTenantsWorld } from './support/remote-tenants-world.ts';

// Two instances of one deployment (two processes, Lambda instances or isolates) in this process: each its
// own connection to one SQLite file, its own `tenantsAsData` registry and its own `createFactoryApp`, as
// every runtime wires them. They share nothing but the store.

const ORIGIN = 'http://127.0.0.1:8787';
const REFRESH_MS = 5_000;
/** The webhook secret a tenant moves to in an update. */
const NEXT_WEBHOOK_SECRET = 'linear-webhook-secret-after-the-update-0001';

const world = new RemoteTenantsWorld();
const opened: SqliteStateStore[] = [];
let stores = 0;

beforeAll(async () => {
  await world.start();
});
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});
afterAll(async () => {
  await world.stop();
});

/** A new SQLite file for one test: what its instances share. */
function newStoreFile(): string {
  stores += 1;
  return path.join(world.dir, `state-${stores}.sqlite`);
}

interface Instance {
  app: Hono;
  store: SqliteStateStore;
}

/** One instance of the deployment over the shared file, wired as the runtimes wire it. */
async function instance(
  file: string,
  options: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<Instance> {
  const store = new SqliteStateStore(file);
  opened.push(store);
  const env = {
    ...world.deploymentEnv(),
    LINEAR_API_KEY: SECRETS.LINEAR_API_KEY,
    LINEAR_WEBHOOK_SECRET_NEXT: NEXT_WEBHOOK_SECRET,
    ...options.env,
  };
  const tenants = await tenantsAsData(
    {
      store,
      providers: providerRegistry,
      env,
      signIns,
      remoteTenantIssues,
      refreshMs: REFRESH_MS,
      ...(options.clock ? { clock: options.clock } : {}),
    },
    { key: world.credentialsKey },
  );
  const app = createFactoryApp({
    tenants,
    admin: tenants.admin,
    store,
    version: 'test',
    operatorToken: SECRETS.FACTORY_OPERATOR_TOKEN,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { app, store };
}

/** An admin API call with the operator token. */
function operator(target: Instance, method: string, route: string, body?: unknown, headers = {}) {
  return target.app.request(`${ORIGIN}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The first team's tenant entry (as `factory tenants add` sends it), with `change` applied. */
function entry(id: string, change: (tenant: Record<string, Record<string, unknown>>) => void = () => {}) {
  const tenant = parse(world.teams.alpha.remoteTenant(id)) as Record<string, Record<string, unknown>>;
  change(tenant);
  return tenant;
}

/** Linear's delivery of the first team's issue for tenant `id`, signed with `secret`. */
function delivery(target: Instance, id: string, secret: string) {
  const { body, headers } = world.teams.alpha.issueCreated();
  return target.app.request(`${ORIGIN}/t/${id}/webhooks/linear`, {
    method: 'POST',
    headers: { ...headers, 'linear-signature': linearSignature(secret, body) },
    body,
  });
}

/**
 * The vendor's token endpoint behind a gate. Once armed, it holds refresh grants until `count` of them
 * arrived (or a second passed); it passes every request on one at a time, in the order it came. So the
 * instances' refreshes surely overlap, and the vendor answers them one after the other, as a real one may.
 */
async function refreshGate(vendor: string) {
  let count = 0;
  const held: (() => void)[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const releaseAll = () => {
    for (const release of held.splice(0)) release();
  };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (count > 0 && new URLSearchParams(body).get('grant_type') === 'refresh_token')
      await new Promise<void>((release) => {
        held.push(release);
        if (held.length >= count) releaseAll();
        else setTimeout(releaseAll, 1_000).unref();
      });
    const headers = Object.fromEntries(
      ['content-type', 'authorization', 'accept'].flatMap((name) => {
        const value = request.headers[name];
        return typeof value === 'string' ? [[name, value]] : [];
      }),
    );
    const answer = queue.then(() => fetch(vendor, { method: 'POST', headers, body }));
    queue = answer.catch(() => undefined);
    const answered = await answer;
    response.writeHead(answered.status, {
      'content-type': answered.headers.get('content-type') ?? 'application/json',
    });
    response.end(await answered.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/linear/oauth/token`,
    arm: (refreshes: number) => {
      count = refreshes;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('two instances over one store', () => {
  it('serve a tenant added through the other at once, and its changes and removal within the refresh interval', async () => {
    const clock = new FakeClock(Date.now());
    const file = newStoreFile();
    const [a, b] = [await instance(file, { clock }), await instance(file, { clock })];
    // Linear's token by reference: this is about which config each instance serves, not sign-ins.
    const withApiKey = (tenant: Record<string, Record<string, unknown>>) => {
      tenant.intentProvider = { ...tenant.intentProvider, apiKey: '${LINEAR_API_KEY}' };
    };
    expect((await delivery(b, 'gamma', SECRETS.LINEAR_WEBHOOK_SECRET)).status).toBe(404);

    const created = await operator(a, 'POST', '/admin/tenants', entry('gamma', withApiKey));
    expect(created.status).toBe(201);
    // An id B did not know is looked up in the store, not cached as unknown: B serves it now.
    const first = await delivery(b, 'gamma', SECRETS.LINEAR_WEBHOOK_SECRET);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      status: 'processed',
      results: [{ event: 'work-item.changed' }],
    });
    expect(world.teams.alpha.fleetWrites()).toEqual(['POST /factory/agents']);

    const updated = await operator(
      a,
      'PUT',
      '/admin/tenants/gamma',
      entry('gamma', (tenant) => {
        withApiKey(tenant);
        tenant.intentProvider = { ...tenant.intentProvider, webhookSecret: '${LINEAR_WEBHOOK_SECRET_NEXT}' };
      }),
      { 'if-match': '1' },
    );
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ id: 'gamma', version: 2 });
    // A built version 2 at once; B serves the version 1 it built until its interval is over.
    expect((await delivery(a, 'gamma', NEXT_WEBHOOK_SECRET)).status).toBe(200);
    expect((await delivery(b, 'gamma', NEXT_WEBHOOK_SECRET)).status).toBe(401);
    clock.advance(REFRESH_MS - 1);
    expect((await delivery(b, 'gamma', NEXT_WEBHOOK_SECRET)).status).toBe(401);
    clock.advance(1);
    expect((await delivery(b, 'gamma', NEXT_WEBHOOK_SECRET)).status).toBe(200);
    expect((await delivery(b, 'gamma', SECRETS.LINEAR_WEBHOOK_SECRET)).status).toBe(401);

    expect((await operator(a, 'DELETE', '/admin/tenants/gamma')).status).toBe(204);
    expect((await delivery(a, 'gamma', NEXT_WEBHOOK_SECRET)).status).toBe(404);
    clock.advance(REFRESH_MS);
    expect((await delivery(b, 'gamma', NEXT_WEBHOOK_SECRET)).status).toBe(404);
    // However often the item was delivered, it was dispatched once.
    expect(world.teams.alpha.fleetWrites()).toEqual(['POST /factory/agents']);
  });

  it('two refreshes of one signed-in token at once, one through each, leave one valid stored token', async () => {
    const gate = await refreshGate(world.oauth.linear.tokenEndpoint ?? '');
    onTestFinished(() => gate.close());
    const file = newStoreFile();
    const env = { LINEAR_OAUTH_TOKEN_URL: gate.url };
    const [a, b] = [await instance(file, { env }), await instance(file, { env })];
    expect((await operator(a, 'POST', '/admin/tenants', entry('delta'))).status).toBe(201);

    // The sign-in starts on A, and the vendor sends the browser back to B: the state is in the store.
    // Its token lives a minute, so it is due for a refresh at once (within five minutes of its expiry).
    world.oauth.linearExpiresIn = 60;
    const started = await operator(a, 'POST', '/admin/tenants/delta/connect/linear');
    expect(started.status).toBe(201);
    const { authorizationUrl } = (await started.json()) as { authorizationUrl: string };
    const callback = await b.app.request(await consent(authorizationUrl));
    expect(callback.status).toBe(200);
    world.oauth.linearExpiresIn = 86_399;
    gate.arm(2);

    const refreshes = () =>
      world.oauth.requests.filter((request) => request.form.grant_type === 'refresh_token').length;
    const [before, grantedBefore] = [refreshes(), world.oauth.refreshCount()];
    // Both instances check the tenant's connections at once: both read the token due for a refresh.
    const tables = await Promise.all(
      [a, b].map(async (target) => {
        const response = await operator(target, 'GET', '/admin/tenants/delta/connections');
        expect(response.status).toBe(200);
        return (await response.json()) as { providers: { provider: string; state: string }[] };
      }),
    );
    for (const table of tables)
      expect(table.providers.find((report) => report.provider === 'linear')).toMatchObject({
        state: 'connected',
      });
    // Both asked the vendor with the same refresh token; it granted the first and refused the second
    // (it rotates refresh tokens), whose instance then took the winner's token from the store.
    expect(refreshes() - before).toBe(2);
    expect(world.oauth.refreshCount() - grantedBefore).toBe(1);

    // What is stored is the granted token: Linear takes it, and its refresh token is the live one.
    const reader = new SqliteStateStore(file);
    opened.push(reader);
    const stored = await new StoredCredentialStore(
      reader,
      await SealedBox.fromSecret(world.credentialsKey),
    ).get('delta', 'linear');
    expect(stored?.expiresAt).toBeGreaterThan(Date.now() + 60 * 60_000);
    expect(world.teams.alpha.linear.tokens.has(stored?.accessToken ?? '')).toBe(true);
    const refreshed = await fetch(world.oauth.linear.tokenEndpoint ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: stored?.refreshToken ?? '',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }),
    });
    expect(refreshed.status).toBe(200);
  });
});

describe('bad input on the admin routes, judged by the deployment’s own validate', () => {
  const cases: {
    name: string;
    change: (tenant: Record<string, Record<string, unknown>>) => void;
    path: string;
  }[] = [
    {
      name: 'a literal secret where a reference is required',
      change: (tenant) => {
        tenant.outputTarget = { ...tenant.outputTarget, token: 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB' };
      },
      path: 'outputTarget.token',
    },
    {
      name: 'a local fleet: a remote caller must never make the host run a command',
      change: (tenant) => {
        tenant.fleet = { type: 'local', command: `touch ${path.join(world.dir, 'ran')}` };
      },
      path: 'fleet.type',
    },
    {
      name: 'a directory mount',
      change: (tenant) => {
        tenant.mount = { type: 'directory', path: '/' };
      },
      path: 'mount.type',
    },
    {
      name: 'an unknown provider',
      change: (tenant) => {
        tenant.intentProvider = { type: 'no-such-tracker' };
      },
      path: 'intentProvider.type',
    },
  ];

  it.each(cases)('$name: 422 naming $path, and nothing stored', async ({ change, path: where }) => {
    const file = newStoreFile();
    const target = await instance(file);
    const refused = await operator(target, 'POST', '/admin/tenants', entry('epsilon', change));
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: string; issues: { path: string; message: string }[] };
    expect(body.error).toBe('invalid tenant config');
    expect(body.issues.map((issue) => issue.path)).toContain(where);
    for (const issue of body.issues) expect(issue.message).not.toMatch(/ghp_0123456789/);

    const listed = await operator(target, 'GET', '/admin/tenants');
    expect(await listed.json()).toEqual({ tenants: [] });
    expect(await new StoreTenantDirectory(target.store).list()).toEqual([]);
    expect(existsSync(path.join(world.dir, 'ran'))).toBe(false);
  });
});
