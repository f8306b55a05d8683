import type { BundleFigures } from '../bundle-sizes.ts';
import type { GoalCheck } from './goals.ts';

/** Every Worker a deployer uploads, all its modules gzipped. */
export const WORKER_GZIP_KIB = 100;
/** Every Lambda bundle, gzipped. */
export const LAMBDA_GZIP_KIB = 150;
/** A Lambda's cold start (a fresh node importing it and answering a first webhook) over a bare node's. */
export const LAMBDA_COLD_START_MS = 100;

/**
 * Issue 23's bundle goals, for every bundle measured: Workers at most 100 KiB gzip, Lambdas at most
 * 150 KiB gzip and a cold start at most 100 ms longer than a bare `node` measured beside it.
 */
export function bundleGoals(bundles: readonly BundleFigures[]): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const bundle of bundles) {
    const limit = bundle.kind === 'worker' ? WORKER_GZIP_KIB : LAMBDA_GZIP_KIB;
    const kib = bundle.gzipBytes / 1024;
    checks.push({
      goal: `${bundle.bundle}: gzip size`,
      bound: `≤ ${limit} KiB`,
      measured: `${kib.toFixed(1)} KiB`,
      met: kib <= limit,
    });
    if (bundle.kind === 'lambda') {
      const cold = bundle.coldStart;
      checks.push({
        goal: `${bundle.bundle}: cold start over a bare node`,
        bound: `≤ ${LAMBDA_COLD_START_MS} ms`,
        measured: cold
          ? `${cold.overBareMs.toFixed(0)} ms (${cold.processMs.toFixed(0)} − ${cold.bareProcessMs.toFixed(0)}, median of ${cold.runs})`
          : 'not measured',
        met: cold !== undefined && cold.overBareMs <= LAMBDA_COLD_START_MS,
      });
    }
  }
  return checks;
}
