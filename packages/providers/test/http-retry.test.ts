import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterMs, retryingFetch } from '../src/shared/http-retry.ts';
import {
  type Fault,
  FaultQueue,
  faultResponse,
  type Loopback,
  listen,
  newApp,
  recordingSleep,
} from './support/loopback.ts';

let server: Loopback;
const faults = new FaultQueue();
let hits = 0;

beforeAll(async () => {
  const app = newApp();
  app.all('/thing', async (c) => {
    hits++;
    const fault = faults.take('/thing');
    if (fault) return faultResponse(fault);
    return c.json({ ok: true, body: c.req.method === 'POST' ? await c.req.text() : null });
  });
  server = await listen(app);
});
afterAll(() => server.close());

function queue(...list: Fault[]) {
  hits = 0;
  faults.add('/thing', ...list);
}

describe('retryingFetch', () => {
  it('waits as long as Retry-After says after a 429, then succeeds with the same request body', async () => {
    queue({ status: 429, headers: { 'retry-after': '3' }, body: { error: 'ratelimited' } });
    const { sleep, waits } = recordingSleep();
    const fetcher = retryingFetch(fetch, { sleep, random: () => 0.5 });
    const response = await fetcher(`${server.url}/thing`, { method: 'POST', body: 'payload' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, body: 'payload' });
    expect(waits).toEqual([3000]);
    expect(hits).toBe(2);
  });

  it('backs off exponentially with jitter on 5xx, within the cap', async () => {
    queue({ status: 500 }, { status: 502 }, { status: 503 });
    const { sleep, waits } = recordingSleep();
    const fetcher = retryingFetch(fetch, {
      sleep,
      random: () => 1,
      baseDelayMs: 100,
      maxDelayMs: 250,
      maxAttempts: 5,
    });
    const response = await fetcher(`${server.url}/thing`);
    expect(response.status).toBe(200);
    expect(waits).toEqual([100, 200, 250]);
  });

  it('gives up after maxAttempts and hands back the last answer', async () => {
    queue({ status: 503 }, { status: 503 }, { status: 503 });
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep, maxAttempts: 3 })(`${server.url}/thing`);
    expect(response.status).toBe(503);
    expect(hits).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('does not wait for a Retry-After longer than allowed: the caller gets the 429 at once', async () => {
    queue({ status: 429, headers: { 'retry-after': '3600' } });
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep })(`${server.url}/thing`);
    expect(response.status).toBe(429);
    expect(waits).toEqual([]);
    expect(hits).toBe(1);
  });

  it('does not retry other client errors', async () => {
    queue({ status: 404 });
    const { sleep, waits } = recordingSleep();
    expect((await retryingFetch(fetch, { sleep })(`${server.url}/thing`)).status).toBe(404);
    expect(waits).toEqual([]);
  });

  it('retries a refused connection, then reports the network error', async () => {
    const closed = await listen(newApp());
    await closed.close();
    const { sleep, waits } = recordingSleep();
    await expect(retryingFetch(fetch, { sleep, maxAttempts: 2 })(`${closed.url}/thing`)).rejects.toThrow();
    expect(waits).toHaveLength(1);
  });
});

describe('retryAfterMs', () => {
  it('starts no attempt once its signal is aborted (an effect past its deadline)', async () => {
    queue();
    const controller = new AbortController();
    controller.abort(new Error('the effect lease is ending'));
    const fetcher = retryingFetch(fetch, { sleep: async () => {} });
    await expect(fetcher(`${server.url}/thing`, { signal: controller.signal })).rejects.toThrow(
      'the effect lease is ending',
    );
    expect(hits).toBe(0);
  });

  it('stops waiting to retry when its signal is aborted, and tries no more', async () => {
    queue({ status: 503 });
    const controller = new AbortController();
    // The wait before the second attempt never ends by itself: only the abort ends it.
    const sleep = () => {
      setTimeout(() => controller.abort(new Error('the effect lease is ending')), 10);
      return new Promise<void>(() => {});
    };
    const fetcher = retryingFetch(fetch, { sleep, maxAttempts: 4 });
    await expect(fetcher(`${server.url}/thing`, { signal: controller.signal })).rejects.toThrow(
      'the effect lease is ending',
    );
    expect(hits).toBe(1);
  });

  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
