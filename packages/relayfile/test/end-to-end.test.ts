import { RelayFileClient } from '@relayfile/sdk';
import type { FactorySettingsInput } from '@software-factory/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureWebhook } from '../src/subscribe.ts';
import { listen, relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { issueFile, pullFile, replyFile, STATE_IDS, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

let server: RelayfileServer;
let tenant: ReturnType<typeof relayfileTenant>;
let close: () => Promise<void>;

async function subscribe(settings?: FactorySettingsInput) {
  tenant = relayfileTenant(server, settings ? { settings } : {});
  const handler = await listen((request) => tenant.app.fetch(request));
  close = handler.close;
  const client = new RelayFileClient({ baseUrl: server.url, token: server.token });
  await ensureWebhook({
    client,
    workspaceId: server.workspaceId,
    url: `${handler.url}/t/${TENANT}/webhooks/relayfile`,
    secret: SECRET,
    sources: tenant.sources,
    // The factory listens on 127.0.0.1, which relayfile's cloud would refuse; this relayfile takes it.
    allowInsecureUrl: true,
  });
}

beforeEach(async () => {
  server = await new RelayfileServer({ webhookUrls: 'any' }).start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
});
afterEach(async () => {
  await close?.();
  await server.stop();
});

async function status(id: string) {
  await server.deliveriesSettled();
  return (await tenant.store.getRecord(TENANT, id))?.status;
}

describe('a work item’s whole life through relayfile webhooks', () => {
  it('asks in a thread, dispatches on the answer, and completes when the pull request is ready', async () => {
    await subscribe();
    const vague = issueFile({ description: 'It is broken.', title: 'Fix export' });
    server.putFile(vague.path, vague.content);
    expect(await status(vague.record.id)).toBe('waiting-clarification');

    // The question went out as a message draft, which the chat's write-back turned into a real message.
    const [question] = server.paths('/slack/channels/C111__general/messages/');
    const posted = server.json(question as string) as { created: string };
    expect(posted.created).toMatch(/^\d+\.\d+$/);
    const record = await tenant.store.getRecord(TENANT, vague.record.id);
    expect(record?.clarification?.threadId).toBe(`C111:${posted.created}`);

    const answer = replyFile('C111__general', {
      threadTs: posted.created,
      text: 'The export should print JSON when --json is given; done when the table output is unchanged and a test covers it.',
    });
    server.putFile(answer.path, answer.content);
    expect(await status(vague.record.id)).toBe('dispatched');
    expect(server.json(vague.path)).toMatchObject({
      stateId: STATE_IDS.dispatched,
      state: TRACKER_STATES.inProgress,
    });
    expect(tenant.fleet.agentsFor(vague.record.id)).toHaveLength(1);

    const branch = (await tenant.store.getRecord(TENANT, vague.record.id))?.dispatch?.branch as string;
    const draftPull = pullFile('github/pull_request.converted_to_draft.draft.json', { branch, number: 11 });
    server.putFile(draftPull.path, draftPull.content);
    expect(await status(vague.record.id)).toBe('dispatched');
    const readyPull = pullFile(undefined, { branch, number: 11 });
    server.putFile(readyPull.path, readyPull.content);
    expect(await status(vague.record.id)).toBe('done');
    expect(server.json(vague.path)).toMatchObject({ state: TRACKER_STATES.done });
    expect(server.paths(`/linear/issues/${vague.record.id}/comments/`)).toHaveLength(3);
    // Ready for review completed it: the factory wrote nothing under the code host (no merge, ever).
    const writes = [
      ...[...server.ops.values()].map((op) => op.path),
      ...server.events.filter((event) => event.origin === 'agent_write').map((event) => event.path),
    ];
    expect(writes.filter((path) => path.startsWith('/github/'))).toEqual([]);
    expect(writes.length).toBeGreaterThan(0);
  });

  it('completes an item on the tick when the pull request’s change was missed, by finding it on its branch', async () => {
    await subscribe({ reconcile: { outputs: true } });
    const file = issueFile();
    server.putFile(file.path, file.content);
    expect(await status(file.record.id)).toBe('dispatched');
    const branch = (await tenant.store.getRecord(TENANT, file.record.id))?.dispatch?.branch;
    if (!branch) throw new Error('the dispatch should name its branch');
    // The pull request appears while relayfile cannot reach the factory: no event arrives.
    server.subscriptions.clear();
    const pull = pullFile(undefined, { branch, number: 12 });
    server.putFile(pull.path, pull.content);
    expect(await status(file.record.id)).toBe('dispatched');
    const tick = await tenant.factory.handle({ type: 'tick' });
    expect(tick.error).toBeUndefined();
    expect(await status(file.record.id)).toBe('done');
  });
});
