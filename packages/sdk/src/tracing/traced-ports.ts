import type { FactoryPorts } from '../ports/factory-ports.ts';
import { type LogFields, type Logger, silentLogger } from '../ports/logger.ts';
import { wrappedPort } from '../wrapped-port.ts';
import type { EventTrace } from './event-trace.ts';

/** The ports that reach a vendor or a fleet: each of their calls is a span. The store and clock are not. */
const TRACED_PORTS = ['workItems', 'clarifications', 'outputs', 'fleet', 'triage'] as const;
type TracedPortName = (typeof TRACED_PORTS)[number];

/** Where a port's per-event copy keeps the event's trace its shared methods read. */
const EVENTS = Symbol('events');
interface EventBound {
  [EVENTS]?: EventTrace;
}

/**
 * The ports with every call of the vendor-facing ones made inside a span of `events`, and every log
 * line stamped with the span it was written in (`spanId`, beside the run's `traceId`). The methods are
 * made once per port (`tracingTemplates`); an event only makes an object per port that points at them.
 */
export function tracedPorts(ports: FactoryPorts, events: EventTrace): FactoryPorts {
  const templates = tracingTemplates(ports);
  // A logger that writes nothing needs no stamp.
  const logger = ports.logger === silentLogger ? silentLogger : new SpanStampedLogger(ports.logger, events);
  const traced: FactoryPorts = { ...ports, logger };
  for (const name of TRACED_PORTS) {
    const copy = Object.create(templates[name]) as EventBound;
    copy[EVENTS] = events;
    (traced as unknown as Record<TracedPortName, unknown>)[name] = copy;
  }
  return traced;
}

const templatesOf = new WeakMap<FactoryPorts, Record<TracedPortName, object>>();

/** For each traced port, an object whose methods run the port's in a span of the trace their copy holds. */
function tracingTemplates(ports: FactoryPorts): Record<TracedPortName, object> {
  const known = templatesOf.get(ports);
  if (known) return known;
  const templates = {} as Record<TracedPortName, object>;
  for (const name of TRACED_PORTS) {
    templates[name] = wrappedPort(
      ports[name] as object,
      (operation, method) =>
        function (this: EventBound | undefined, ...args: unknown[]) {
          // A synchronous answer (`isReadyForDispatch`) asks nothing of the vendor, and must stay synchronous.
          const answer = method(...args);
          const events = this?.[EVENTS];
          if (!events || !isThenable(answer)) return answer;
          return events.call(name, operation, Promise.resolve(answer));
        },
    );
  }
  templatesOf.set(ports, templates);
  return templates;
}

/** A logger that adds the span a line was written in, when the line does not name one. */
class SpanStampedLogger implements Logger {
  readonly #logger: Logger;
  readonly #events: EventTrace;

  constructor(logger: Logger, events: EventTrace) {
    this.#logger = logger;
    this.#events = events;
  }

  debug(message: string, fields?: LogFields): void {
    this.#logger.debug(message, this.#stamped(fields));
  }

  info(message: string, fields?: LogFields): void {
    this.#logger.info(message, this.#stamped(fields));
  }

  warn(message: string, fields?: LogFields): void {
    this.#logger.warn(message, this.#stamped(fields));
  }

  error(message: string, fields?: LogFields): void {
    this.#logger.error(message, this.#stamped(fields));
  }

  #stamped(fields: LogFields | undefined): LogFields | undefined {
    if (fields?.spanId !== undefined) return fields;
    const spanId = this.#events.spanId;
    return spanId ? { ...fields, spanId } : fields;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
