import type { FactoryEventType } from '../events.ts';
import type { HandleResult } from '../pipeline/result.ts';
import type { TenantStatus } from './tenant-status.ts';

const LATENCY_BUCKETS_SECONDS = [1, 5, 30, 60, 300, 900, 3600, 14_400, 86_400];

/**
 * Counters of what this process handled, per tenant. Prometheus scrapes each process and sums; gauges
 * (queue depth, in flight) are read from the store at scrape time, so they are the same everywhere.
 */
export class FactoryMetrics {
  readonly #events = new Map<string, number>();
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** Counts one handled event, and the dispatch latency of each item it dispatched. */
  observe(tenant: string, result: HandleResult, dispatchLatenciesMs: readonly number[] = []): void {
    const key = `${tenant}\u0000${result.event}\u0000${result.outcome}`;
    this.#events.set(key, (this.#events.get(key) ?? 0) + 1);
    for (const ms of dispatchLatenciesMs) this.#observeLatency(tenant, ms / 1000);
  }

  #observeLatency(tenant: string, seconds: number): void {
    let histogram = this.#latency.get(tenant);
    if (!histogram) {
      histogram = { buckets: LATENCY_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(tenant, histogram);
    }
    LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
      if (seconds <= bound && histogram) histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
    });
    histogram.sum += seconds;
    histogram.count += 1;
  }

  /** Prometheus text exposition format (version 0.0.4) for one tenant. */
  render(tenant: string, status: TenantStatus): string {
    const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const t = `tenant="${label(tenant)}"`;
    const lines = [
      '# HELP factory_events_total Events handled by this process, by type and outcome.',
      '# TYPE factory_events_total counter',
    ];
    for (const [key, count] of this.#events) {
      const [owner, event, outcome] = key.split('\u0000') as [string, FactoryEventType, string];
      if (owner === tenant)
        lines.push(`factory_events_total{${t},event="${label(event)}",outcome="${label(outcome)}"} ${count}`);
    }
    lines.push(
      '# HELP factory_dispatch_latency_seconds Time from first sight of a work item to its dispatch.',
      '# TYPE factory_dispatch_latency_seconds histogram',
    );
    const histogram = this.#latency.get(tenant) ?? {
      buckets: LATENCY_BUCKETS_SECONDS.map(() => 0),
      sum: 0,
      count: 0,
    };
    LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
      lines.push(
        `factory_dispatch_latency_seconds_bucket{${t},le="${bound}"} ${histogram.buckets[index] ?? 0}`,
      );
    });
    lines.push(
      `factory_dispatch_latency_seconds_bucket{${t},le="+Inf"} ${histogram.count}`,
      `factory_dispatch_latency_seconds_sum{${t}} ${histogram.sum}`,
      `factory_dispatch_latency_seconds_count{${t}} ${histogram.count}`,
      '# HELP factory_queue_depth Work items waiting for a slot.',
      '# TYPE factory_queue_depth gauge',
      `factory_queue_depth{${t}} ${status.queued.length}`,
      '# HELP factory_in_flight Work items with an agent working on them.',
      '# TYPE factory_in_flight gauge',
      `factory_in_flight{${t}} ${status.inFlight.length}`,
      '# HELP factory_waiting_clarification Work items waiting for an answer.',
      '# TYPE factory_waiting_clarification gauge',
      `factory_waiting_clarification{${t}} ${status.waiting.length}`,
      '# HELP factory_blocked Work items waiting for their blockers.',
      '# TYPE factory_blocked gauge',
      `factory_blocked{${t}} ${status.blocked.length}`,
      '# HELP factory_connection_up Whether each declared provider is connected (1) or not (0).',
      '# TYPE factory_connection_up gauge',
    );
    for (const connection of status.connections) {
      lines.push(
        `factory_connection_up{${t},provider="${label(connection.provider)}",role="${label(connection.role)}"} ${connection.state === 'connected' ? 1 : 0}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
