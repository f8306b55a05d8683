import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const HAS_PROC = existsSync('/proc/self/cmdline');

/**
 * True while `pid` is the wrapper started for `agentDir`. Where /proc exists the command line is
 * compared, so a pid the system reused for another program (after a reboot, say) is not mistaken for
 * the agent, and an exited wrapper nobody reaped yet (a zombie, with an empty command line) is not alive.
 */
export function isWrapperAlive(pid: number, agentDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (HAS_PROC) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').includes(agentDir);
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to the process group `pid` leads; a group that is already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes; true if it held. */
export async function pollUntil(
  condition: () => boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}
