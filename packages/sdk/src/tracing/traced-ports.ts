import type { FactoryPorts } from '../ports/factory-ports.ts';
import type { LogFields, Logger } from '../ports/logger.ts';
import type { EventTrace } from './event-trace.ts';

/** The ports that reach a vendor or a fleet: each of their calls is a span. The store and clock are not. */
const TRACED_PORTS = ['workItems', 'clarifications', 'outputs', 'fleet', 'triage'] as const;

/**
 * The ports with every call of the vendor-facing ones made inside a span of `events`, and every log
 * line stamped with the span it was written in (`spanId`, beside the run's `traceId`).
 */
export function tracedPorts(ports: FactoryPorts, events: EventTrace): FactoryPorts {
  const traced = { ...ports, logger: spanStampedLogger(ports.logger, events) };
  for (const name of TRACED_PORTS) Object.assign(traced, { [name]: tracedPort(name, ports[name], events) });
  return traced;
}

function spanStampedLogger(logger: Logger, events: EventTrace): Logger {
  const stamped =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      const spanId = fields?.spanId === undefined ? events.spanId : undefined;
      logger[level](message, spanId ? { ...fields, spanId } : fields);
    };
  return { debug: stamped('debug'), info: stamped('info'), warn: stamped('warn'), error: stamped('error') };
}

function tracedPort<T extends object>(name: string, port: T, events: EventTrace): T {
  return new Proxy(port, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        // A synchronous answer (`isReadyForDispatch`) asks nothing of the vendor, and must stay synchronous.
        const answer = method.apply(target, args);
        if (!isThenable(answer)) return answer;
        return events.call(name, property, () => Promise.resolve(answer));
      };
    },
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
