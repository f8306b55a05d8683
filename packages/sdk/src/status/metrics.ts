import type { HandleResult } from '../pipeline/result.ts';
import { CounterFamily, HistogramFamily, renderGauge } from './metric-families.ts';
import type { TenantStatus } from './tenant-status.ts';

/** From first sight of an item to its dispatch, or an agent's whole run: minutes to a day. */
const LONG_BUCKETS_SECONDS = [1, 5, 30, 60, 300, 900, 3600, 14_400, 86_400];
/** One handled event or one call to a vendor's API: milliseconds to tens of seconds. */
const SHORT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

/**
 * What this process handled, per tenant, in Prometheus families (`_total` counters, `_seconds`
 * histograms). Prometheus scrapes each process and sums; the gauges (queue depth, in flight, waiting,
 * blocked, connections, the fleet circuit) are read from the store at scrape time, so they are the same
 * on every instance. Share one instance between the HTTP app and every tenant's `createFactory`.
 */
export class FactoryMetrics {
  readonly #deliveries = new CounterFamily(
    'factory_webhook_deliveries_total',
    'Webhook deliveries answered, by source and HTTP status.',
    ['tenant', 'source', 'status'],
  );
  readonly #events = new CounterFamily(
    'factory_events_total',
    'Events handled by this process, by type and outcome.',
    ['tenant', 'event', 'outcome'],
  );
  readonly #handleSeconds = new HistogramFamily(
    'factory_handle_duration_seconds',
    'Time to handle one event, effects included.',
    ['tenant', 'event'],
    SHORT_BUCKETS_SECONDS,
  );
  readonly #effects = new CounterFamily(
    'factory_effects_total',
    'Side effects performed, by kind and result (ok or failed).',
    ['tenant', 'kind', 'result'],
  );
  readonly #providerSeconds = new HistogramFamily(
    'factory_provider_call_duration_seconds',
    'Time of one call through a role port (work items, clarifications, outputs, fleet, triage).',
    ['tenant', 'port', 'provider', 'operation'],
    SHORT_BUCKETS_SECONDS,
  );
  readonly #providerErrors = new CounterFamily(
    'factory_provider_call_errors_total',
    'Calls through a role port that failed.',
    ['tenant', 'port', 'provider', 'operation'],
  );
  readonly #agentRunSeconds = new HistogramFamily(
    'factory_agent_run_duration_seconds',
    'Time from an agent’s dispatch until the item left dispatched, by the status it went to.',
    ['tenant', 'outcome'],
    LONG_BUCKETS_SECONDS,
  );
  readonly #dispatchLatency = new HistogramFamily(
    'factory_dispatch_latency_seconds',
    'Time from first sight of a work item to its dispatch.',
    ['tenant'],
    LONG_BUCKETS_SECONDS,
  );

  /** Counts one handled event: its outcome, how long it took, and what its transitions tell. */
  observe(tenant: string, result: HandleResult, handleSeconds?: number): void {
    this.#events.inc([tenant, result.event, result.outcome]);
    if (handleSeconds !== undefined) this.#handleSeconds.observe([tenant, result.event], handleSeconds);
    for (const transition of result.transitions) {
      if (transition.waitedMs !== undefined)
        this.#dispatchLatency.observe([tenant], transition.waitedMs / 1000);
      if (transition.ranMs !== undefined)
        this.#agentRunSeconds.observe([tenant, transition.to], transition.ranMs / 1000);
    }
  }

  delivery(tenant: string, source: string, status: number): void {
    this.#deliveries.inc([tenant, source, String(status)]);
  }

  effect(tenant: string, kind: string, result: 'ok' | 'failed'): void {
    this.#effects.inc([tenant, kind, result]);
  }

  providerCall(
    tenant: string,
    port: string,
    provider: string,
    operation: string,
    seconds: number,
    failed: boolean,
  ): void {
    this.#providerSeconds.observe([tenant, port, provider, operation], seconds);
    if (failed) this.#providerErrors.inc([tenant, port, provider, operation]);
  }

  /** Prometheus text exposition format (version 0.0.4) for one tenant. */
  render(tenant: string, status: TenantStatus): string {
    return this.renderAll([{ tenant, status }]);
  }

  /** The same for several tenants (the deployment-wide `/metrics`): each family once, every tenant in it. */
  renderAll(entries: readonly { tenant: string; status: TenantStatus }[]): string {
    const tenants = new Set(entries.map((entry) => entry.tenant));
    const lines: string[] = [];
    this.#deliveries.render(tenants, lines);
    this.#events.render(tenants, lines);
    this.#handleSeconds.render(tenants, lines);
    this.#effects.render(tenants, lines);
    this.#providerSeconds.render(tenants, lines);
    this.#providerErrors.render(tenants, lines);
    this.#agentRunSeconds.render(tenants, lines);
    this.#dispatchLatency.render(tenants, lines, true);
    const each = (value: (status: TenantStatus) => number) =>
      entries.map(({ tenant, status }) => ({ labels: { tenant }, value: value(status) }));
    renderGauge(
      'factory_queue_depth',
      'Work items waiting for a slot.',
      each((s) => s.queued.length),
      lines,
    );
    renderGauge(
      'factory_in_flight',
      'Work items with an agent working on them.',
      each((s) => s.inFlight.length),
      lines,
    );
    renderGauge(
      'factory_waiting_clarification',
      'Work items waiting for an answer.',
      each((s) => s.waiting.length),
      lines,
    );
    renderGauge(
      'factory_blocked',
      'Work items waiting for their blockers.',
      each((s) => s.blocked.length),
      lines,
    );
    renderGauge(
      'factory_connection_up',
      'Whether each declared provider is connected (1) or not (0).',
      entries.flatMap(({ tenant, status }) =>
        status.connections.map((connection) => ({
          labels: { tenant, provider: connection.provider, role: connection.role },
          value: connection.state === 'connected' ? 1 : 0,
        })),
      ),
      lines,
    );
    renderGauge(
      'factory_fleet_circuit_state',
      'The fleet circuit breaker: 1 for the state it is in (closed, half-open, open), 0 for the others.',
      entries.flatMap(({ tenant, status }) =>
        BREAKER_STATES.map((state) => ({
          labels: { tenant, state },
          value: (status.breaker?.state ?? 'closed') === state ? 1 : 0,
        })),
      ),
      lines,
    );
    renderGauge(
      'factory_fleet_consecutive_failures',
      'Fleet failures in a row (spawn errors, lost agents, timeouts) the breaker has counted.',
      each((s) => s.breaker?.failures ?? 0),
      lines,
    );
    return `${lines.join('\n')}\n`;
  }
}
