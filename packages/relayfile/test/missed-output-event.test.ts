import { RelayFileClient } from '@relayfile/sdk';
import { FakeClock } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureWebhook } from '../src/subscribe.ts';
import { listen, relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { issueFile, pullFile, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

const MINUTE = 60_000;
let server: RelayfileServer;
let tenant: ReturnType<typeof relayfileTenant>;
let close: () => Promise<void>;
let clock: FakeClock;

beforeEach(async () => {
  // Now: relayfile signs its deliveries with the real time, which the factory checks against its clock.
  clock = new FakeClock(Date.now());
  server = await new RelayfileServer({ webhookUrls: 'any' }).start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  tenant = relayfileTenant(server, {
    clock,
    settings: {
      retry: { maxAttempts: 3 },
      agents: { outputGrace: '30m', checkInterval: '5m', timeout: '2h' },
    },
  });
  const handler = await listen((request) => tenant.app.fetch(request));
  close = handler.close;
  await ensureWebhook({
    client: new RelayFileClient({ baseUrl: server.url, token: server.token }),
    workspaceId: server.workspaceId,
    url: `${handler.url}/t/${TENANT}/webhooks/relayfile`,
    secret: SECRET,
    sources: tenant.sources,
    allowInsecureUrl: true,
  });
});
afterEach(async () => {
  await close?.();
  await server.stop();
});

/** A clear issue synced into the mount: dispatched to one agent. Then relayfile stops reaching the factory. */
async function dispatchedThenCutOff(): Promise<{ id: string; agentId: string; branch: string }> {
  const file = issueFile();
  server.putFile(file.path, file.content);
  await server.deliveriesSettled();
  const record = await tenant.store.getRecord(TENANT, file.record.id);
  expect(record?.status).toBe('dispatched');
  server.subscriptions.clear();
  return {
    id: file.record.id,
    agentId: tenant.fleet.agentsFor(file.record.id)[0] ?? '',
    branch: record?.dispatch?.branch ?? '',
  };
}

const exited = (agentId: string, workItemId: string) =>
  ({ type: 'agent.exited', agentId, workItemId, outcome: 'succeeded', exitCode: 0 }) as const;

describe('relayfile transport: the pull request’s change event never arrives', () => {
  it('the agent exits and its pull request is ready in the mount: done, one agent, no retry', async () => {
    const { id, agentId, branch } = await dispatchedThenCutOff();
    const pull = pullFile(undefined, { branch, number: 21 });
    server.putFile(pull.path, pull.content);

    const result = await tenant.factory.handle(exited(agentId, id));

    expect(result.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect((await tenant.store.getRecord(TENANT, id))?.attempts).toBe(1);
    expect(tenant.fleet.spawnCalls).toBe(1);
  });

  it('the pull request is still a draft: the attempt waits out the grace, then fails as before', async () => {
    const { id, agentId, branch } = await dispatchedThenCutOff();
    const draft = pullFile('github/pull_request.converted_to_draft.draft.json', { branch, number: 22 });
    server.putFile(draft.path, draft.content);
    await tenant.factory.handle(exited(agentId, id));
    expect((await tenant.store.getRecord(TENANT, id))?.status).toBe('dispatched');

    clock.advance(25 * MINUTE);
    await tenant.factory.handle({ type: 'tick' });
    expect((await tenant.store.getRecord(TENANT, id))?.status).toBe('dispatched');

    clock.advance(5 * MINUTE);
    await tenant.factory.handle({ type: 'tick' });
    const record = await tenant.store.getRecord(TENANT, id);
    expect(record?.reason).toMatch(/the agent finished without a ready output/);
    expect(record?.attempts).toBe(1);
  });
});
