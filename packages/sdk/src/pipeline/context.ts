import type { FactoryPorts } from '../ports/factory-ports.ts';
import type { DeliveryMemory } from '../ports/state-store.ts';
import type { FactorySettings } from '../settings.ts';
import type { FactoryMetrics } from '../status/metrics.ts';
import type { EventTrace } from '../tracing/event-trace.ts';

/** What every step of one `handle` call needs. `owner` names the call, for effect leases. */
export interface HandlerContext extends FactoryPorts {
  tenant: string;
  settings: FactorySettings;
  owner: string;
  /** The delivery that carried the event: its keys ride on the first stored change (`writeRecord`). */
  delivery?: { keys: readonly DeliveryMemory[]; kept: boolean };
  /** The call's spans, when an OpenTelemetry SDK is registered; absent, nothing is traced. */
  trace?: EventTrace;
  /** Counts effects and provider calls, when the factory was given counters (not in a dry run). */
  metrics?: FactoryMetrics;
}

export const TENANT_POOL = 'tenant';

export function routePool(routeName: string): string {
  return `route:${routeName}`;
}
