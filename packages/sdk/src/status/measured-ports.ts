import type { FactoryPorts } from '../ports/factory-ports.ts';
import { wrappedPort } from '../wrapped-port.ts';
import type { FactoryMetrics } from './metrics.ts';

/**
 * The ports with every asynchronous call through a role port (work items, clarifications, outputs, fleet,
 * triage: the calls that leave the process) timed and its failures counted, by port, the provider behind
 * it when the port names one, and the method. Each method runs on the port itself, so ports with private
 * fields work unchanged; what is not a method passes through.
 */
export function measuredPorts(ports: FactoryPorts, metrics: FactoryMetrics, tenant: string): FactoryPorts {
  return {
    ...ports,
    workItems: measure(ports.workItems, 'workItems', metrics, tenant),
    clarifications: measure(ports.clarifications, 'clarifications', metrics, tenant),
    outputs: measure(ports.outputs, 'outputs', metrics, tenant),
    fleet: measure(ports.fleet, 'fleet', metrics, tenant),
    triage: measure(ports.triage, 'triage', metrics, tenant),
  };
}

function measure<Port extends object>(
  port: Port,
  name: string,
  metrics: FactoryMetrics,
  tenant: string,
): Port {
  const named = (port as { provider?: unknown }).provider;
  const provider = typeof named === 'string' ? named : '';
  return wrappedPort(port, (operation, method) => (...args: unknown[]) => {
    const started = performance.now();
    const done = (failed: boolean) =>
      metrics.providerCall(tenant, name, provider, operation, (performance.now() - started) / 1000, failed);
    let answer: unknown;
    try {
      answer = method(...args);
    } catch (error) {
      done(true);
      throw error;
    }
    // Only calls that wait on something are calls out of the process; the rest are not counted.
    if (!(answer instanceof Promise)) return answer;
    return answer.then(
      (settled: unknown) => {
        done(false);
        return settled;
      },
      (error: unknown) => {
        done(true);
        throw error;
      },
    );
  });
}
