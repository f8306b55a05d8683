import { describe, expect, it } from 'vitest';
import type { RemoteConnectProgress } from '../src/remote/admin-responses.ts';
import { RemoteError } from '../src/remote/remote-error.ts';
import { MAX_TRANSIENT_FAILURES, waitForSignIn } from '../src/remote/wait-for-sign-in.ts';

const PENDING: RemoteConnectProgress = { state: 'pending', flow: 'authorization-code', expiresAt: 0 };
const CONNECTED: RemoteConnectProgress = { state: 'connected', status: { state: 'connected' } };

/** A clock that moves only when the wait pauses; what was asked, and when. */
function world(answers: (RemoteConnectProgress | Error)[], fallback: RemoteConnectProgress = PENDING) {
  let time = 0;
  const asked: number[] = [];
  const pauses: number[] = [];
  return {
    asked,
    pauses,
    wait: (deadline: number, everyMs = 2_000) => ({
      everyMs,
      deadline,
      signal: new AbortController().signal,
      now: () => time,
      pause: async (ms: number) => {
        pauses.push(ms);
        time += ms;
      },
    }),
    progressOf: async () => {
      asked.push(time);
      const answer = answers.shift() ?? fallback;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('waiting for a remote sign-in', () => {
  it('asks every interval until the sign-in is no longer pending', async () => {
    const w = world([PENDING, PENDING, CONNECTED]);
    expect(await waitForSignIn(w.progressOf, w.wait(600_000))).toEqual(CONNECTED);
    expect(w.asked).toEqual([2_000, 4_000, 6_000]);
  });

  it('gives up at the deadline with the last answer, pending', async () => {
    const w = world([]);
    expect(await waitForSignIn(w.progressOf, w.wait(600_000))).toEqual(PENDING);
    expect(w.asked).toHaveLength(300);
    expect(w.asked.at(-1)).toBe(600_000);
  });

  it('waits as long as a throttled deployment asks, then at the interval again', async () => {
    const throttled = new RemoteError('throttled', { status: 429, retryAfterSeconds: 7 });
    const w = world([PENDING, throttled, PENDING, CONNECTED]);
    expect(await waitForSignIn(w.progressOf, w.wait(600_000))).toEqual(CONNECTED);
    expect(w.pauses).toEqual([2_000, 2_000, 7_000, 2_000]);
  });

  it(`stops after ${MAX_TRANSIENT_FAILURES} unavailable answers in a row, with the last one`, async () => {
    const unavailable = new RemoteError('unavailable', { status: 503 });
    const w = world(Array.from({ length: MAX_TRANSIENT_FAILURES }, () => unavailable));
    await expect(waitForSignIn(w.progressOf, w.wait(600_000))).rejects.toBe(unavailable);
    expect(w.asked).toHaveLength(MAX_TRANSIENT_FAILURES);
  });

  it('does not ask again after an answer that will not change (401, 404)', async () => {
    const refused = new RemoteError('refused', { status: 401 });
    const w = world([PENDING, refused]);
    await expect(waitForSignIn(w.progressOf, w.wait(600_000))).rejects.toBe(refused);
    expect(w.asked).toHaveLength(2);
  });
});
