import { createFactoryApp, type StateStore, StaticTenantRegistry } from '@software-factory/sdk';
import { benchTenant } from '../bench-tenant.ts';
import { CountingStateStore } from '../counting-state-store.ts';
import type { SignedRequest } from '../vendor-payloads.ts';
import type { BenchTarget, Sample } from './bench-target.ts';

export interface InProcessTargetOptions {
  store: string;
  open(): Promise<StateStore> | StateStore;
  /** Requests on the store's wire since the last call (DynamoDB's SDK middleware), when there is a wire. */
  wireRequests?: () => Record<string, number>;
  close?: () => Promise<void> | void;
}

/**
 * The core's HTTP app in this process, over one store: a delivery is `app.fetch(request)`, so the CPU
 * and wall time are those of reading, verifying, interpreting, deciding, writing and answering — no
 * sockets. The `Request` is built before the clock starts, as a runtime hands one over (workerd builds
 * it natively, Node's server and the Lambda adapter from their own input), and as the Probot peer is
 * handed its payload as a string; reading its body is counted. A store server (dynalite) runs in
 * another process, so its work is not counted as ours, as on AWS.
 */
export async function inProcessTarget(options: InProcessTargetOptions): Promise<BenchTarget> {
  const counting = new CountingStateStore(await options.open());
  const store = counting.store;
  const tenant = benchTenant(store);
  const app = createFactoryApp({
    tenants: new StaticTenantRegistry([tenant.runtime]),
    store,
    version: 'bench',
    // As `factory start` and workerd: the runtime frames a body by its Content-Length.
    framedBodies: true,
  });
  return {
    store: options.store,
    cpuOf: 'node (this process)',
    async deliver(request: SignedRequest): Promise<Sample> {
      counting.take();
      options.wireRequests?.();
      const incoming = new Request(new URL(request.path, 'http://localhost'), {
        method: 'POST',
        // As every sender frames a delivery: with its length.
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        body: request.body,
      });
      const cpu = process.cpuUsage();
      const started = performance.now();
      const response = await app.fetch(incoming);
      const body = await response.text();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const wire = options.wireRequests?.();
      return {
        answer: { status: response.status, body },
        cpuMicros: used.user + used.system,
        wallMs,
        storeCalls: counting.take(),
        ...(wire ? { wireRequests: wire } : {}),
      };
    },
    async close() {
      await options.close?.();
    },
  };
}
