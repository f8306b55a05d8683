import { setTimeout as sleep } from 'node:timers/promises';
import type { RemoteConnectProgress } from './admin-responses.ts';
import { RemoteError } from './remote-error.ts';

/** Throttled or unavailable answers in a row before the wait is given up. */
export const MAX_TRANSIENT_FAILURES = 5;
/** The longest pause between two questions, whatever a `Retry-After` says. */
const MAX_PAUSE_MS = 60_000;

export interface SignInWait {
  /** How often to ask while the sign-in is pending. */
  everyMs: number;
  /** Epoch milliseconds after which the last answer is returned, pending or not. */
  deadline: number;
  signal: AbortSignal;
  now?: () => number;
  pause?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Asks `progressOf` every `everyMs` until the sign-in is no longer pending or the deadline passed, and
 * returns the last answer. A throttled or briefly unavailable deployment (429, 502–504, no answer) is
 * asked again after the pause it asked for, up to MAX_TRANSIENT_FAILURES times in a row.
 */
export async function waitForSignIn(
  progressOf: () => Promise<RemoteConnectProgress>,
  wait: SignInWait,
): Promise<RemoteConnectProgress> {
  const now = wait.now ?? Date.now;
  const pause = wait.pause ?? ((ms, signal) => sleep(ms, undefined, { signal }));
  let failures = 0;
  let pauseMs = wait.everyMs;
  for (;;) {
    await pause(Math.max(0, Math.min(pauseMs, wait.deadline - now())), wait.signal);
    let progress: RemoteConnectProgress;
    try {
      progress = await progressOf();
    } catch (error) {
      const transient = error instanceof RemoteError && error.transient;
      failures += 1;
      if (!transient || failures >= MAX_TRANSIENT_FAILURES || now() >= wait.deadline) throw error;
      pauseMs = Math.min(Math.max(wait.everyMs, (error.retryAfterSeconds ?? 0) * 1000), MAX_PAUSE_MS);
      continue;
    }
    failures = 0;
    pauseMs = wait.everyMs;
    if (progress.state !== 'pending' || now() >= wait.deadline) return progress;
  }
}
