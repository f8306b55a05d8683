import { describe, it } from 'vitest';

/** What an opener gives a check: an implementation of the port in a world of its own, and its clean-up. */
export interface OpenedWorld {
  /** Stops what the opener started (a loopback server, a process, a folder); called after the check. */
  close?(): Promise<void>;
}

/**
 * One behaviour a port must have, as a plain check (so a test can also run it against a broken
 * implementation). `open` gives a further, independent world, for a check that needs two (an agent one
 * fleet started is unknown to another); every world is closed after the check.
 */
export interface PortCheck<World extends OpenedWorld> {
  name: string;
  run(world: World, open: () => Promise<World>): Promise<void>;
}

/**
 * Runs one check with worlds from `open`, closing every world it opened, in reverse order, whether the
 * check passed or not.
 */
export async function runCheck<World extends OpenedWorld>(
  check: PortCheck<World>,
  open: () => Promise<World>,
): Promise<void> {
  const opened: World[] = [];
  const tracked = async () => {
    const world = await open();
    opened.push(world);
    return world;
  };
  try {
    await check.run(await tracked(), tracked);
  } finally {
    for (const world of opened.reverse()) await world.close?.();
  }
}

/** Registers `describe(title)` with one `it` per check, each in worlds of its own. */
export function describeChecks<World extends OpenedWorld>(
  title: string,
  checks: readonly PortCheck<World>[],
  open: () => Promise<World>,
): void {
  describe(title, () => {
    for (const check of checks) it(check.name, () => runCheck(check, open));
  });
}
