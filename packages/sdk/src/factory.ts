import type { Span } from '@opentelemetry/api';
import { OverlayStateStore } from './dry-run/overlay-state-store.ts';
import { type PlannedWrite, planningPorts } from './dry-run/planning-ports.ts';
import type { FactoryEvent } from './events.ts';
import { onAgentExited } from './handlers/agent-exited.ts';
import { onClarificationReplied } from './handlers/clarification-replied.ts';
import { onOutputChanged } from './handlers/output-changed.ts';
import { onOutputFeedback } from './handlers/output-feedback.ts';
import { onTick } from './handlers/tick.ts';
import { onWorkItemChanged } from './handlers/work-item-changed.ts';
import type { HandlerContext } from './pipeline/context.ts';
import type { HandleResult } from './pipeline/result.ts';
import { systemClock } from './ports/clock.ts';
import type { FactoryPorts } from './ports/factory-ports.ts';
import { silentLogger } from './ports/logger.ts';
import type { DeliveryMemory } from './ports/state-store.ts';
import { type FactorySettings, type FactorySettingsInput, resolveSettings } from './settings.ts';
import { measuredPorts } from './status/measured-ports.ts';
import type { FactoryMetrics } from './status/metrics.ts';
import { EventTrace } from './tracing/event-trace.ts';
import { tracedPorts } from './tracing/traced-ports.ts';
import { tracingRegistered } from './tracing/tracer.ts';

export interface FactoryOptions {
  tenant: string;
  /** Counters for `/t/:tenant/metrics`; share one instance with the HTTP app. */
  metrics?: FactoryMetrics;
  ports: Omit<FactoryPorts, 'clock' | 'logger'> & Partial<Pick<FactoryPorts, 'clock' | 'logger'>>;
  /** Raw settings (validated and defaulted here) or settings already resolved. */
  settings?: FactorySettingsInput;
}

/** One tenant's factory. Holds no state between calls: two instances over one store behave as one. */
export interface Factory {
  readonly tenant: string;
  readonly settings: FactorySettings;
  readonly ports: FactoryPorts;
  handle(event: FactoryEvent, options?: HandleOptions): Promise<HandleResult>;
}

export interface HandleOptions {
  /** Plans without writing anything, whatever the settings say. */
  dryRun?: boolean;
  /**
   * The keys of the delivery that carried the event, kept until their expiry by the first change the
   * event stores (`RecordCommit.deliveries`): the app only claims a delivery while it handles it.
   */
  delivery?: readonly DeliveryMemory[];
  /** The span of the webhook delivery that brought the event: the event's spans, in its run's trace, link to it. */
  deliverySpan?: Span;
  /**
   * False when the delivery's tracer made no span of its own (the OpenTelemetry API's no-op tracer,
   * `madeNoSpan`): nothing of its events could record, so no span or port wrapper is made for them.
   */
  traced?: boolean;
}

export function createFactory(options: FactoryOptions): Factory {
  if (!options.tenant) throw new Error('createFactory: a tenant id is required');
  const settings = resolveSettings(options.settings);
  const ports: FactoryPorts = { clock: systemClock, logger: silentLogger, ...options.ports };
  // Calls out of the process are timed once the factory has counters; `factory.ports` stays as given.
  const working = options.metrics ? measuredPorts(ports, options.metrics, options.tenant) : ports;
  return {
    tenant: options.tenant,
    settings,
    ports,
    async handle(event, call = {}) {
      const started = options.metrics ? performance.now() : 0;
      const dryRun = call.dryRun ?? settings.dryRun;
      const plan: PlannedWrite[] = [];
      // A plan is not work done: a dry run is not traced.
      const trace =
        !dryRun && call.traced !== false && tracingRegistered()
          ? new EventTrace(options.tenant, event.type, call.deliverySpan)
          : undefined;
      // One copy of the ports, then what this call adds, field by field (a spread of a conditional
      // object per field cost an object more each).
      const context: HandlerContext = {
        ...(trace ? tracedPorts(working, trace) : working),
        tenant: options.tenant,
        settings,
        owner: nextOwner(),
      };
      if (dryRun)
        Object.assign(context, { store: new OverlayStateStore(ports.store), ...planningPorts(ports, plan) });
      if (call.delivery?.length) context.delivery = { keys: call.delivery, kept: false };
      if (trace) context.trace = trace;
      if (options.metrics && !dryRun) context.metrics = options.metrics;
      const result = await traced(trace, () => dispatchEvent(context, event));
      if (context.delivery) result.deliveryKept = context.delivery.kept;
      if (dryRun) {
        result.plan = plan;
        ports.logger.info('dry run: nothing was written', {
          tenant: options.tenant,
          event: event.type,
          ...(result.traceId ? { traceId: result.traceId } : {}),
          plan: plan.map((write) => `${write.action}${write.workItemKey ? ` ${write.workItemKey}` : ''}`),
        });
        return result;
      }
      options.metrics?.observe(options.tenant, result, (performance.now() - started) / 1000);
      // A logger that writes nothing is not handed a line's fields: they are not built.
      if (ports.logger === silentLogger) return result;
      const level = result.outcome === 'incomplete' ? 'warn' : 'info';
      ports.logger[level]('event handled', {
        tenant: options.tenant,
        event: event.type,
        outcome: result.outcome,
        reason: result.reason,
        ...(result.workItemId ? { workItemId: result.workItemId } : {}),
        ...(result.traceId ? { traceId: result.traceId } : {}),
        ...(trace?.spanId ? { spanId: trace.spanId } : {}),
        ...(result.error ? { error: result.error } : {}),
      });
      return result;
    },
  };
}

/**
 * A name for one `handle` call, unique across processes and calls (it holds effect leases): a random
 * prefix drawn once per process, on the first call (Workers refuse random values at load time), and a
 * counter. Drawing a UUID for every call cost more than the lease needs.
 */
let ownerPrefix: string | undefined;
let handleCalls = 0;
function nextOwner(): string {
  ownerPrefix ??= crypto.randomUUID();
  handleCalls += 1;
  return `${ownerPrefix}/${handleCalls.toString(36)}`;
}

/** The result, with the call's spans ended by it (or by its failure). */
async function traced(
  trace: EventTrace | undefined,
  handle: () => Promise<HandleResult>,
): Promise<HandleResult> {
  if (!trace) return handle();
  try {
    const result = await handle();
    trace.finish(result);
    return result;
  } catch (error) {
    trace.fail(error);
    throw error;
  }
}

function dispatchEvent(context: HandlerContext, event: FactoryEvent): Promise<HandleResult> {
  switch (event.type) {
    case 'work-item.changed':
      return onWorkItemChanged(context, event);
    case 'clarification.replied':
      return onClarificationReplied(context, event);
    case 'output.changed':
      return onOutputChanged(context, event);
    case 'output.feedback':
      return onOutputFeedback(context, event);
    case 'agent.exited':
      return onAgentExited(context, event);
    case 'tick':
      return onTick(context, event);
  }
}
