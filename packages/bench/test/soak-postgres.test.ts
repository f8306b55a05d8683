import { describe, expect, it } from 'vitest';
import { runSoak } from '../src/soak/soak-run.ts';

describe('the soak on Postgres (a small run of npm run soak -- --store postgres --replicas 3)', () => {
  it('takes every item to done exactly once through three replicas behind one proxy, duplicates sent to different replicas, two SIGKILLs and one replica stopped for good', async () => {
    const report = await runSoak({
      items: 24,
      kills: 2,
      seed: 11,
      maxInFlight: 4,
      duplicateRate: 0.4,
      faultRate: 0.1,
      feedbackRate: 0.3,
      senders: 6,
      agentMs: 1500,
      timeoutMs: 100_000,
      store: 'postgres',
      replicas: 3,
    });
    expect(report.violations).toEqual([]);
    expect(report.done).toBe(24);
    expect(report.store).toMatch(/^Postgres on 127\.0\.0\.1:\d+$/);
    // Three started together, each killed one came back; the one stopped for good did not.
    expect(report.factory).toEqual({ kills: 2, starts: 5 });
    expect(report.replicas?.count).toBe(3);
    expect(report.replicas?.killed).toHaveLength(2);
    expect(report.replicas?.stoppedForGood).toMatchObject({ exitCode: 0 });
    expect(report.replicas?.stoppedForGood?.atDone).toBeGreaterThanOrEqual(12);
    // Every duplicated item's copies reached more than one replica (the proxy skips one that is down).
    expect(report.deliveries.duplicates).toBeGreaterThan(0);
    expect(report.deliveries.duplicatesAcrossReplicas).toBeGreaterThan(0);
    expect(report.agents.started).toBe(24 + report.feedback.rounds);
    expect(report.agents.ended).toBe(report.agents.started);
    expect(report.agents.peakInFlight).toBeLessThanOrEqual(4);
  }, 180_000);
});
