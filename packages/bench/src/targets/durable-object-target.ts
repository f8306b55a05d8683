import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import type { SignedRequest } from '../vendor-payloads.ts';
import { buildBenchWorker } from '../worker/build-worker.ts';
import type { BenchTarget, Sample } from './bench-target.ts';
import { childCpuMicros, descendantsOf } from './process-cpu.ts';

/**
 * The Durable Object store inside workerd: the bench Worker bundled and run by Miniflare with a
 * SQLite-backed `FactoryStateObject` namespace and a KV namespace, as `wrangler.jsonc` binds them.
 * CPU time is workerd's own (read from /proc), since the factory runs there, not in this process.
 */
export async function durableObjectTarget(): Promise<BenchTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'factory-bench-worker-'));
  try {
    return await startWorker(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startWorker(dir: string): Promise<BenchTarget> {
  const scriptPath = await buildBenchWorker(join(dir, 'worker.mjs'));
  const before = new Set(descendantsOf(process.pid));
  const miniflare = new Miniflare({
    workers: [
      {
        name: 'factory-bench',
        // Listed, not discovered: the providers load @software-factory/auth by a computed `import()`, which
        // Miniflare's module scan refuses; the Worker never reaches that code.
        modules: [{ type: 'ESModule', path: scriptPath }],
        modulesRoot: dir,
        compatibilityDate: '2026-04-01',
        durableObjects: { FACTORY_STATE: { className: 'FactoryStateObject', useSQLite: true } },
        kvNamespaces: ['FACTORY_CACHE'],
      },
    ],
  });
  const origin = (await miniflare.ready).origin;
  const workerd = descendantsOf(process.pid).filter((pid) => !before.has(pid));
  if (workerd.length === 0) {
    await miniflare.dispose();
    throw new Error('cannot find the workerd process Miniflare started');
  }
  const cpu = () => workerd.reduce((sum, pid) => sum + childCpuMicros(pid), 0);
  const storeCalls = async () =>
    (await (await miniflare.dispatchFetch(`${origin}/__bench/store-calls`)).json()) as Record<string, number>;

  return {
    store: 'Durable Objects (workerd)',
    cpuOf: 'workerd (its process)',
    async deliver(request: SignedRequest): Promise<Sample> {
      await storeCalls();
      const cpuBefore = cpu();
      const started = performance.now();
      const response = await miniflare.dispatchFetch(`${origin}${request.path}`, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      const body = await response.text();
      const wallMs = performance.now() - started;
      const cpuMicros = cpu() - cpuBefore;
      return { answer: { status: response.status, body }, cpuMicros, wallMs, storeCalls: await storeCalls() };
    },
    async close() {
      await miniflare.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
