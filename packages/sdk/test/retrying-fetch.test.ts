import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jitteredBackoff, retryAfterMs, retryingFetch } from '../src/outbound/retrying-fetch.ts';

/** What the loopback server does with the next request: answer with a status, or never answer. */
type Fault = { status: number; headers?: Record<string, string> } | 'hang';

let server: Server;
let url: string;
let faults: Fault[] = [];
let hits = 0;
let bodies: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    hits++;
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      bodies.push(body);
      const fault = faults.shift();
      if (fault === 'hang') return;
      response.writeHead(fault?.status ?? 200, { 'content-type': 'application/json', ...fault?.headers });
      response.end(JSON.stringify(fault ? { error: 'fault' } : { ok: true, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/thing`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  faults = [];
  hits = 0;
  bodies = [];
});

function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

/** A port nothing listens on: every connection to it is refused. */
async function refusingUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return `http://127.0.0.1:${port}/thing`;
}

describe('retryingFetch, for a request that is safe to repeat', () => {
  it('waits as long as Retry-After says after a 429, then succeeds with the same request body', async () => {
    faults = [{ status: 429, headers: { 'retry-after': '3' } }];
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep, random: () => 0.5 })(url, {
      method: 'POST',
      body: 'payload',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, body: 'payload' });
    expect(waits).toEqual([3000]);
    expect(bodies).toEqual(['payload', 'payload']);
  });

  it('backs off exponentially with jitter on 5xx, within the cap', async () => {
    faults = [{ status: 500 }, { status: 502 }, { status: 503 }];
    const { sleep, waits } = recordingSleep();
    const fetcher = retryingFetch(fetch, {
      sleep,
      random: () => 1,
      baseDelayMs: 100,
      maxDelayMs: 250,
      maxAttempts: 5,
    });
    expect((await fetcher(url)).status).toBe(200);
    expect(waits).toEqual([100, 200, 250]);
  });

  it('gives up after maxAttempts and hands back the last answer', async () => {
    faults = [{ status: 503 }, { status: 503 }, { status: 503 }];
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep, maxAttempts: 3 })(url);
    expect(response.status).toBe(503);
    expect(hits).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('does not wait for a Retry-After longer than allowed: the caller gets the 429 at once', async () => {
    faults = [{ status: 429, headers: { 'retry-after': '3600' } }];
    const { sleep, waits } = recordingSleep();
    expect((await retryingFetch(fetch, { sleep })(url)).status).toBe(429);
    expect(waits).toEqual([]);
    expect(hits).toBe(1);
  });

  it('does not retry other client errors', async () => {
    faults = [{ status: 404 }];
    const { sleep, waits } = recordingSleep();
    expect((await retryingFetch(fetch, { sleep })(url)).status).toBe(404);
    expect(waits).toEqual([]);
  });

  it('retries a refused connection, then reports the network error', async () => {
    const { sleep, waits } = recordingSleep();
    await expect(retryingFetch(fetch, { sleep, maxAttempts: 2 })(await refusingUrl())).rejects.toThrow();
    expect(waits).toHaveLength(1);
  });

  it('abandons an attempt that outlasts attemptTimeoutMs and tries again', async () => {
    faults = ['hang'];
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep, attemptTimeoutMs: 200 })(url);
    expect(response.status).toBe(200);
    expect(hits).toBe(2);
    expect(waits).toHaveLength(1);
  });

  it('starts no attempt once its signal is aborted (an effect past its deadline)', async () => {
    const controller = new AbortController();
    controller.abort(new Error('the effect lease is ending'));
    const fetcher = retryingFetch(fetch, { sleep: async () => {} });
    await expect(fetcher(url, { signal: controller.signal })).rejects.toThrow('the effect lease is ending');
    expect(hits).toBe(0);
  });

  it('stops waiting to retry when its signal is aborted, and tries no more', async () => {
    faults = [{ status: 503 }];
    const controller = new AbortController();
    // The wait before the second attempt never ends by itself: only the abort ends it.
    const sleep = () => {
      setTimeout(() => controller.abort(new Error('the effect lease is ending')), 10);
      return new Promise<void>(() => {});
    };
    const fetcher = retryingFetch(fetch, { sleep, maxAttempts: 4 });
    await expect(fetcher(url, { signal: controller.signal })).rejects.toThrow('the effect lease is ending');
    expect(hits).toBe(1);
  });
});

describe('retryingFetch, for a request the server may have applied (retryAmbiguous: false)', () => {
  it('retries a 429, which is refused before any work', async () => {
    faults = [{ status: 429, headers: { 'retry-after': '1' } }];
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep, retryAmbiguous: false })(url, {
      method: 'POST',
      body: 'a comment',
    });
    expect(response.status).toBe(200);
    expect(waits).toEqual([1000]);
  });

  it('hands back a 5xx at once: the write may have landed', async () => {
    faults = [{ status: 502 }];
    const { sleep, waits } = recordingSleep();
    const response = await retryingFetch(fetch, { sleep, retryAmbiguous: false })(url, { method: 'POST' });
    expect(response.status).toBe(502);
    expect(hits).toBe(1);
    expect(waits).toEqual([]);
  });

  it('throws a network failure at once instead of sending the write again', async () => {
    const { sleep, waits } = recordingSleep();
    await expect(
      retryingFetch(fetch, { sleep, retryAmbiguous: false })(await refusingUrl(), { method: 'POST' }),
    ).rejects.toThrow();
    expect(waits).toEqual([]);
  });

  it('throws an abandoned attempt at once: its request reached the server', async () => {
    faults = ['hang'];
    const { sleep, waits } = recordingSleep();
    const fetcher = retryingFetch(fetch, { sleep, retryAmbiguous: false, attemptTimeoutMs: 200 });
    await expect(fetcher(url, { method: 'POST', body: 'a comment' })).rejects.toThrow();
    expect(hits).toBe(1);
    expect(waits).toEqual([]);
  });
});

describe('jitteredBackoff', () => {
  it('is a random share of a step that doubles from baseDelayMs up to maxDelayMs', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(
      [1, 2, 3, 4, 5].map((attempt) => jitteredBackoff(attempt, { ...options, random: () => 1 })),
    ).toEqual([100, 200, 400, 800, 1000]);
    expect(jitteredBackoff(3, { ...options, random: () => 0.5 })).toBe(200);
    expect(jitteredBackoff(3, { ...options, random: () => 0 })).toBe(0);
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
