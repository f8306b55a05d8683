import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  createFactory,
  createFactoryApp,
  DefaultTaskTemplate,
  type Factory,
  type FactorySettingsInput,
  InMemoryStateStore,
  RuleTriage,
  resolveSettings,
  StaticTenantRegistry,
} from '@software-factory/sdk';
import { type FakeClock, FakeFleet } from '@software-factory/sdk/testing';
import { MountClarificationChannel } from '../../src/mount-clarification-channel.ts';
import { MountOutputTarget } from '../../src/mount-output-target.ts';
import { MountWorkItemProvider } from '../../src/mount-work-item-provider.ts';
import { RelayfileMount } from '../../src/relayfile-mount.ts';
import { RelayfileWebhookSource } from '../../src/relayfile-webhook-source.ts';
import { STATE_IDS } from './layout.ts';
import type { RelayfileServer } from './relayfile-server.ts';

export const TENANT = 'acme';
export const SECRET = 'relay-signing-secret-for-tests';

/**
 * The factory as a deployment runs it for one tenant whose providers all work through relayfile: the
 * real HTTP app, the real core and an in-memory store; only the fleet is the core's fake.
 */
export function relayfileTenant(
  server: RelayfileServer,
  options: { clock?: FakeClock; settings?: FactorySettingsInput } = {},
) {
  const mount = new RelayfileMount({
    baseUrl: server.url,
    token: server.token,
    workspaceId: server.workspaceId,
    confirmIntervalMs: 1,
  });
  const workItems = new MountWorkItemProvider({ mount, stateIds: STATE_IDS });
  const clarifications = new MountClarificationChannel({ mount, channel: 'C111__general' });
  const outputs = new MountOutputTarget({ mount, repositories: ['Codertocat/Hello-World'] });
  const sources = [workItems, clarifications, outputs];
  const store = new InMemoryStateStore();
  const fleet = new FakeFleet();
  const settings = resolveSettings({
    routes: [
      { name: 'app', match: { labels: ['factory'] }, repository: 'Codertocat/Hello-World', agent: 'coder' },
    ],
    limits: { maxInFlight: 50 },
    ...options.settings,
  });
  const factory: Factory = createFactory({
    tenant: TENANT,
    settings,
    ports: {
      store,
      workItems,
      clarifications,
      outputs,
      fleet,
      triage: new RuleTriage(settings.routes),
      template: new DefaultTaskTemplate(),
      ...(options.clock ? { clock: options.clock } : {}),
    },
  });
  const source = new RelayfileWebhookSource({ secret: SECRET, mount, sources });
  const registry = new StaticTenantRegistry([
    {
      id: TENANT,
      factory,
      sources: new Map([[source.source, source]]),
      connections: async () => [],
    },
  ]);
  const app = createFactoryApp({
    tenants: registry,
    store,
    version: 'test',
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { mount, workItems, clarifications, outputs, sources, store, fleet, factory, source, app, settings };
}

/** Serves a fetch handler on 127.0.0.1 (port 0). */
export async function listen(fetch: (request: Request) => Response | Promise<Response>) {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
