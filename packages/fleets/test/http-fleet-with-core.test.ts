import { createHmac } from 'node:crypto';
import { FakeClock } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetWebhookSource, HttpFleet } from '../src/index.ts';
import { CoreWithFleet } from './support/core.ts';
import { HttpFleetServer } from './support/http-fleet-server.ts';
import { recordingSleep } from './support/no-sleep.ts';

const SECRET = 'fleet-signing-secret-for-tests';

describe('HttpFleet as the core’s fleet, with lifecycle callbacks through the factory app', () => {
  let server: HttpFleetServer;
  let core: CoreWithFleet;

  beforeEach(async () => {
    // One clock for the factory, its fleet client and the fleet, so signatures stay inside the window.
    const clock = new FakeClock(Date.now());
    server = await new HttpFleetServer(SECRET, () => clock.now()).start();
    const fleet = new HttpFleet({ url: server.url, secret: SECRET, clock, sleep: recordingSleep().sleep });
    core = new CoreWithFleet(fleet, [new FleetWebhookSource({ secret: SECRET })], clock);
  });
  afterEach(() => server.close());

  /** A callback as the team's fleet sends it, signed independently of the package's code. */
  function callback(body: string, options: { secret?: string; ageMs?: number } = {}) {
    const timestamp = Math.floor((core.clock.now() - (options.ageMs ?? 0)) / 1000);
    const signature = createHmac('sha256', options.secret ?? SECRET)
      .update(`${timestamp}.${body}`)
      .digest('hex');
    return core.post('fleet', body, {
      'x-factory-timestamp': String(timestamp),
      'x-factory-signature': `sha256=${signature}`,
    });
  }

  const exited = (
    agentId: string,
    eventId: string,
    status: 'exited' | 'failed',
    exitCode: number,
    reason?: string,
  ) =>
    JSON.stringify({
      agentId,
      workItemId: 'item-7',
      status,
      exitCode,
      eventId,
      ...(reason ? { reason } : {}),
    });

  function currentAgent(): string {
    const running = [...server.agents.values()].filter(
      (agent) => !agent.released && agent.status === 'running',
    );
    const last = running.at(-1);
    if (!last) throw new Error('no running agent');
    return last.agentId;
  }

  it('retries an agent that fails twice and ends done when the third attempt succeeds', async () => {
    const item = core.item();
    await core.start(item);
    expect((await core.record())?.status).toBe('dispatched');

    for (const attempt of [1, 2]) {
      const agentId = currentAgent();
      const answer = await callback(exited(agentId, `exit-${attempt}`, 'failed', 1, 'tests failed'));
      expect(answer.status).toBe(200);
      server.agents.get(agentId)!.status = 'failed';
      expect((await core.record())?.status).toBe('queued');
      await core.retryAfter(attempt);
      expect((await core.record())?.status).toBe('dispatched');
    }
    const finished = await callback(exited(currentAgent(), 'exit-3', 'exited', 0));
    expect(finished.status).toBe(200);
    await core.openReadyOutput(item);

    const record = await core.record();
    expect(record?.status).toBe('done');
    expect(record?.attempts).toBe(3);
    expect(server.agentsFor('item-7')).toHaveLength(3);
    expect(
      core.comments().filter((comment) => comment.includes('failed (tests failed). Trying again')),
    ).toHaveLength(2);
    expect(core.comments().at(-1)).toBe('Done: https://github.com/acme/app/pull/41 is ready for review.');
  });

  it('ends failed, with a comment saying why, when no attempt succeeds', async () => {
    await core.start(core.item());
    for (const attempt of [1, 2, 3]) {
      const agentId = currentAgent();
      await callback(exited(agentId, `exit-${attempt}`, 'failed', 2, 'the build does not compile'));
      server.agents.get(agentId)!.status = 'failed';
      if (attempt < 3) await core.retryAfter(attempt);
    }

    const record = await core.record();
    expect(record?.status).toBe('failed');
    expect(record?.reason).toBe('the build does not compile');
    expect(core.comments().at(-1)).toBe(
      'The factory stopped working on this: the build does not compile. Move it back to ready to try again.',
    );
    expect(server.agentsFor('item-7')).toHaveLength(3);
    expect([...server.agents.values()].every((agent) => agent.released)).toBe(true);
  });

  it('answers a re-delivered callback as a duplicate and acts on it once', async () => {
    await core.start(core.item());
    const body = exited(currentAgent(), 'exit-same', 'failed', 1);
    expect((await callback(body)).status).toBe(200);
    const again = await callback(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect((await core.record())?.attempts).toBe(1);
  });

  // Another secret, no signature, an old or future timestamp, malformed JSON: the WebhookSource
  // conformance suite (conformance/http-fleet.test.ts); the app's 415 is the SDK's to answer.
  describe('rejects callbacks outside the protocol with a clear 400 and changes nothing', () => {
    const cases: [string, (agentId: string) => Promise<Response>, number, RegExp][] = [
      [
        'an unknown status',
        (id) => callback(JSON.stringify({ agentId: id, status: 'vanished', eventId: 'e-x' })),
        400,
        /status/,
      ],
      ['no event id', (id) => callback(JSON.stringify({ agentId: id, status: 'failed' })), 400, /eventId/],
      [
        'a field the protocol does not have',
        (id) => callback(JSON.stringify({ agentId: id, status: 'failed', eventId: 'e-y', exit: 1 })),
        400,
        /Unrecognized key/,
      ],
    ];
    for (const [name, send, status, message] of cases) {
      it(name, async () => {
        await core.start(core.item());
        const agentId = currentAgent();
        const before = await core.record();

        const answer = await send(agentId);
        expect(answer.status).toBe(status);
        expect(((await answer.json()) as { error: string }).error).toMatch(message);
        expect(await core.record()).toEqual(before);
        expect(server.agentsFor('item-7')).toHaveLength(1);
      });
    }
  });
});
