import type { BundleFigures } from '../bundle-sizes.ts';
import { DISTINCT_SCENARIO, HEALTH_SCENARIO, type ThroughputFigures } from '../http-throughput.ts';
import { bundleGoals } from './bundle-goals.ts';
import { pathGoals, type StoreFigures } from './path-goals.ts';

// This folder holds what the bench measures against: the stores under test (`BenchTarget`) and, here,
// the figures issue 23 asks for, checked as ratios within one run so a busy machine does not decide them.

/** One goal as a run met it or not: the bound, what was measured, and whether it holds. */
export interface GoalCheck {
  goal: string;
  bound: string;
  measured: string;
  met: boolean;
}

/** What the goals read; a part left out of the run (`--only`) leaves its goals unchecked. */
export interface GoalInputs {
  stores: StoreFigures;
  peer: { cpuMicros: number } | undefined;
  http: readonly ThroughputFigures[];
  bundles: readonly BundleFigures[];
}

/** Distinct signed deliveries through `factory start` (SQLite) reach this share of `/healthz`. */
export const DISTINCT_DELIVERIES_SHARE_OF_HEALTH = 0.25;

/** Every goal the run's parts allow checking, in a fixed order. */
export function checkGoals(inputs: GoalInputs): GoalCheck[] {
  return [
    ...pathGoals(inputs.stores, inputs.peer),
    distinctDeliveriesThroughput(inputs.http),
    ...bundleGoals(inputs.bundles),
  ].filter((check) => check !== undefined);
}

/**
 * `factory start` on SQLite: distinct signed deliveries (pre-signed by the load generator) at least 25% of
 * the `/healthz` rate of the same run, with the deliveries' p99 reported beside it. A run in which any
 * delivery was refused or failed does not meet it, whatever its rate.
 */
export function distinctDeliveriesThroughput(http: readonly ThroughputFigures[]): GoalCheck | undefined {
  const health = http.find((row) => row.scenario === HEALTH_SCENARIO);
  const distinct = http.find((row) => row.scenario === DISTINCT_SCENARIO);
  if (!health || !distinct) return undefined;
  const share = distinct.requestsPerSecond / health.requestsPerSecond;
  const clean = distinct.non2xx === 0 && distinct.errors === 0;
  return {
    goal: 'factory start (SQLite): distinct signed deliveries / GET /healthz',
    bound: `≥ ${percent(DISTINCT_DELIVERIES_SHARE_OF_HEALTH)}, every answer 2xx`,
    measured:
      `${percent(share)} (${distinct.requestsPerSecond.toFixed(0)} of ${health.requestsPerSecond.toFixed(0)} req/s, ` +
      `p99 ${distinct.latencyMs.p99} ms${clean ? '' : `, ${distinct.non2xx} non-2xx, ${distinct.errors} errors`})`,
    met: clean && share >= DISTINCT_DELIVERIES_SHARE_OF_HEALTH,
  };
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}
