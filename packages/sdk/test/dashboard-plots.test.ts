import { describe, expect, it } from 'vitest';
import type { HistoryEntry, WorkItemStatus } from '../src/record.ts';
import { factoryPlots, percentile } from '../src/status/plots.ts';
import { sampleRecord } from '../src/testing/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = 30 * DAY;

/** A record that went through `steps` ([hours before now, status, event]), ending in the last one. */
function through(id: string, steps: [number, WorkItemStatus, string?][]) {
  const history: HistoryEntry[] = steps.map(([hoursAgo, to, event], index) => ({
    at: NOW - hoursAgo * HOUR,
    from: index === 0 ? null : (steps[index - 1] as [number, WorkItemStatus])[1],
    to,
    event: event ?? 'work-item.changed',
    reason: to,
  }));
  return sampleRecord(id, { status: (steps.at(-1) as [number, WorkItemStatus])[1], history });
}

describe('the plots, computed from the records', () => {
  it('counts items done in each bucket, and their lead time from the start of their run', () => {
    const records = [
      through('a', [
        [10, 'new'],
        [9, 'dispatched'],
        [6, 'done', 'output.changed'],
      ]),
      through('b', [
        [10, 'new'],
        [9, 'dispatched'],
        [2, 'done', 'output.changed'],
      ]),
      // Done before the window: not counted in it.
      through('c', [
        [40, 'new'],
        [39, 'dispatched'],
        [30, 'done', 'output.changed'],
      ]),
    ];
    const plots = factoryPlots(records, '24h', NOW);
    expect(plots.done.reduce((a, b) => a + b, 0)).toBe(2);
    expect(plots.done[24 - 6]).toBe(1);
    expect(plots.done[24 - 2]).toBe(1);
    expect(plots.leadTime.overall).toEqual({ median: 4 * HOUR, p90: 8 * HOUR, count: 2 });
    expect(plots.leadTime.median[24 - 2]).toBe(8 * HOUR);
  });

  it('times waits for an answer, and tells answered from unanswered', () => {
    const records = [
      through('a', [
        [10, 'new'],
        [10, 'waiting-clarification'],
        [7, 'queued', 'clarification.replied'],
      ]),
      through('b', [
        [10, 'new'],
        [10, 'waiting-clarification'],
        [1, 'failed', 'tick'],
      ]),
    ];
    const plots = factoryPlots(records, '24h', NOW);
    expect(plots.clarification).toMatchObject({ answered: 1, unanswered: 1 });
    expect(plots.clarification.overall).toEqual({ median: 3 * HOUR, p90: 9 * HOUR, count: 2 });
  });

  it('counts agent attempts and the ones that failed (back to the queue, or failed)', () => {
    const records = [
      through('a', [
        [10, 'new'],
        [9, 'dispatched'],
        [8, 'queued', 'agent.exited'],
        [7, 'dispatched', 'tick'],
        [5, 'done', 'output.changed'],
      ]),
      through('b', [
        [10, 'new'],
        [9, 'dispatched'],
        [8, 'failed', 'agent.exited'],
      ]),
    ];
    const plots = factoryPlots(records, '7d', NOW);
    expect(plots.agents.started.at(-1)).toBe(3);
    expect(plots.agents.failed.at(-1)).toBe(2);
    expect(plots.agents.failureRate).toBeCloseTo(2 / 3);
    expect(plots.agents.perFinishedItem).toBe(1.5);
  });

  it('draws queue depth as the most items queued at once in each bucket, one still queued up to now', () => {
    const records = [
      through('a', [
        [30, 'new'],
        [30, 'queued'],
        [20.5, 'dispatched', 'tick'],
      ]),
      through('b', [
        [21, 'new'],
        [21, 'queued'],
        [20.2, 'dispatched', 'tick'],
      ]),
      through('c', [
        [3, 'new'],
        [3, 'queued'],
      ]),
    ];
    const plots = factoryPlots(records, '24h', NOW);
    // The bucket from 24 h to 23 h ago starts with a queued and ends with it still there.
    expect(plots.queueDepth[0]).toBe(1);
    expect(plots.queueDepth[3]).toBe(2);
    expect(plots.queueDepth[5]).toBe(0);
    expect(plots.queueDepth.slice(21)).toEqual([1, 1, 1]);
  });

  it('takes nearest-rank percentiles, and none of nothing', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([5, 1, 3], 0.5)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 10 }, (_, i) => i + 1),
        0.9,
      ),
    ).toBe(9);
  });
});
