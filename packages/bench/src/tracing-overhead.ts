// What tracing costs per event on the in-memory store (issue 26): off (no provider registered, as every
// runtime runs without `observability.otlp`), twice, so the run shows its own noise; on with the
// OpenTelemetry API's own no-op tracer registered (it makes no span of its own: the core notices at the
// first and makes no more); on with the SDK and a sampler that drops every span (each span, attribute and
// wrapper of the core is made, none records); on with the SDK keeping spans in memory. The modes take
// turns cycle by cycle.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProxyTracerProvider, type TracerProvider, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  TracerProvider as SdkTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { InMemoryStateStore } from '@software-factory/sdk';
import { PATHS, type PathName, runCycle } from './event-cycle.ts';
import { mean } from './stats.ts';
import type { GoalCheck } from './targets/goals.ts';
import { inProcessTarget } from './targets/in-process-target.ts';

export const TRACING_MODES = [
  'off',
  'off, again',
  'on, no-op API',
  'on, SDK sampling nothing',
  'on, in-memory SDK',
] as const;
/** Where every copy of the OpenTelemetry API, major version 1, keeps what was registered with it. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

export type TracingMode = (typeof TRACING_MODES)[number];

export interface TracingFigures {
  cycles: number;
  /** Mean CPU per event (µs), by mode and path. */
  cpuMicros: Record<TracingMode, Record<PathName, number>>;
  /** Mean CPU per event (µs) over the five paths, each weighing the same. */
  perEventMicros: Record<TracingMode, number>;
  /**
   * Tracing's whole work while off: the core asks the API whether a provider is registered, this many
   * times per event on average, at this many nanoseconds a question (timed in a loop).
   */
  offChecks: { perEvent: number; nanosEach: number };
  /** Spans the in-memory SDK ended: proof that the recording mode recorded. */
  spansKept: number;
}

/**
 * The API's own no-op tracer provider, as a provider of its own: the core then finds a provider
 * registered and starts the delivery's span, which the no-op tracer hands back as its parent's context
 * (`madeNoSpan`), so the core makes nothing more. The instance the API falls back to when nothing is
 * registered would count as "off".
 */
function noopApiProvider(): TracerProvider {
  const fallback = new ProxyTracerProvider().getDelegate();
  const NoopProvider = fallback.constructor as new () => TracerProvider;
  return new NoopProvider();
}

/**
 * Runs `warmup` unrecorded cycles, then `cycles` recorded ones; in each, every mode runs one cycle on
 * its own store and app, so what else the machine does weighs on all alike. The modes' order goes
 * through every permutation, and the young generation is collected before each turn: a mode that
 * allocates much (the SDK) would otherwise leave its collection to whichever mode comes next.
 */
export async function measureTracing(options: { cycles: number; warmup: number }): Promise<TracingFigures> {
  const exporter = new InMemorySpanExporter();
  const sdk = new SdkTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const dropping = new SdkTracerProvider({ sampler: new AlwaysOffSampler() });
  const providers: Record<TracingMode, TracerProvider | undefined> = {
    off: undefined,
    'off, again': undefined,
    'on, no-op API': noopApiProvider(),
    'on, SDK sampling nothing': dropping,
    'on, in-memory SDK': sdk,
  };
  const samples = Object.fromEntries(
    TRACING_MODES.map((mode) => [mode, Object.fromEntries(PATHS.map((path) => [path, [] as number[]]))]),
  ) as Record<TracingMode, Record<PathName, number[]>>;
  const targets = await Promise.all(
    TRACING_MODES.map((mode) =>
      inProcessTarget({ store: `in-memory, ${mode}`, open: () => new InMemoryStateStore() }),
    ),
  );
  let spansKept = 0;
  let offChecks = { perEvent: 0, nanosEach: 0 };
  try {
    const orders = permutations(TRACING_MODES.map((_, index) => index));
    const collectYoung = youngCollector();
    for (let cycle = 0; cycle < options.warmup + options.cycles; cycle++) {
      const recorded = cycle >= options.warmup;
      for (const index of orders[cycle % orders.length] as number[]) {
        const mode = TRACING_MODES[index] as TracingMode;
        use(providers[mode]);
        collectYoung();
        await runCycle(targets[index] as (typeof targets)[number], cycle, (path, sample) => {
          if (recorded) samples[mode][path].push(sample.cpuMicros);
        });
        if (recorded) spansKept += exporter.getFinishedSpans().length;
        exporter.reset();
      }
    }
    use(undefined);
    offChecks = await measureOffChecks(
      targets[0] as (typeof targets)[number],
      options.warmup + options.cycles,
    );
  } finally {
    use(undefined);
    await sdk.shutdown();
    await dropping.shutdown();
    for (const target of targets) await target.close();
  }
  const cpuMicros = Object.fromEntries(
    TRACING_MODES.map((mode) => [
      mode,
      Object.fromEntries(PATHS.map((path) => [path, mean(samples[mode][path])])),
    ]),
  ) as Record<TracingMode, Record<PathName, number>>;
  const perEventMicros = Object.fromEntries(
    TRACING_MODES.map((mode) => [mode, mean(PATHS.map((path) => cpuMicros[mode][path]))]),
  ) as Record<TracingMode, number>;
  return { cycles: options.cycles, cpuMicros, perEventMicros, offChecks, spansKept };
}

/**
 * Counts the core's questions over one cycle with nothing registered, then times the question in a
 * loop: what tracing costs while off. The core asks the global every copy of the API registers under
 * (`tracing/otel-api.ts` in the sdk), so the count is of reads of that global. (Asking for a tracer
 * with nothing registered throws in the core, failing the cycle.)
 */
async function measureOffChecks(
  target: Parameters<typeof runCycle>[0],
  cycle: number,
): Promise<{ perEvent: number; nanosEach: number }> {
  const global = globalThis as { [API_GLOBAL]?: { version?: unknown; trace?: unknown } };
  const registered = Object.getOwnPropertyDescriptor(global, API_GLOBAL);
  if (registered && !('value' in registered))
    throw new Error('the API has changed: its global is no longer a plain property');
  let questions = 0;
  let events = 0;
  Object.defineProperty(global, API_GLOBAL, {
    configurable: true,
    get() {
      questions += 1;
      return registered?.value;
    },
  });
  try {
    await runCycle(target, cycle, () => {
      events += 1;
    });
  } finally {
    if (registered) Object.defineProperty(global, API_GLOBAL, registered);
    else delete global[API_GLOBAL];
  }
  if (questions === 0) throw new Error('the core asked nothing: does it still read the API’s global?');
  const calls = 200_000;
  let unregistered = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    // The core's question (`registeredTracerProvider` in the sdk), as it asks it.
    const api = global[API_GLOBAL];
    const version =
      api?.trace !== undefined && typeof api.version === 'string'
        ? /^1\.(\d+)\.\d+$/.exec(api.version)
        : null;
    if (!version) unregistered += 1;
  }
  const nanosEach = ((performance.now() - started) * 1e6) / calls;
  if (unregistered !== calls) throw new Error('a provider was registered while tracing was off');
  // The cycle's unmeasured last delivery asks too: spread over the measured ones it only adds.
  return { perEvent: questions / events, nanosEach };
}

/** Every order of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

/** A scavenge of V8's young generation on call (the `gc` function node keeps behind `--expose-gc`). */
function youngCollector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
  return () => gc({ type: 'minor' });
}

function use(provider: TracerProvider | undefined): void {
  trace.disable();
  if (provider) trace.setGlobalTracerProvider(provider);
}

/** Issue 26's bounds: tracing off costs nothing measurable, on with the no-op API under 5% per event. */
export const TRACING_ON_NOOP_BOUND = 0.05;
export const TRACING_OFF_BOUND = 0.005;

export function tracingGoals(figures: TracingFigures): GoalCheck[] {
  const off = figures.perEventMicros.off;
  const offCost = (figures.offChecks.perEvent * figures.offChecks.nanosEach) / 1000;
  const noise = Math.abs(figures.perEventMicros['off, again'] / off - 1);
  const onNoop = figures.perEventMicros['on, no-op API'] / off - 1;
  return [
    {
      goal: 'tracing off: its checks per event / CPU per event',
      bound: `< ${percent(TRACING_OFF_BOUND)} (nothing measurable)`,
      measured: `${percent(offCost / off, 3)} (${figures.offChecks.perEvent.toFixed(1)} checks × ${figures.offChecks.nanosEach.toFixed(0)} ns of ${off.toFixed(0)} µs; off vs off again: ${percent(noise)})`,
      met: offCost / off < TRACING_OFF_BOUND,
    },
    {
      goal: 'tracing on, no-op API: CPU per event over off',
      bound: `< ${percent(TRACING_ON_NOOP_BOUND)}`,
      measured: `${signedPercent(onNoop)} (${figures.perEventMicros['on, no-op API'].toFixed(0)} of ${off.toFixed(0)} µs, mean of the five paths)`,
      met: onNoop < TRACING_ON_NOOP_BOUND,
    },
  ];
}

/** The figures as rows: each path's CPU per mode, the modes after the first as a difference from it. */
export function tracingRows(figures: TracingFigures): string[][] {
  const off = figures.cpuMicros.off;
  const cell = (mode: TracingMode, path: PathName | 'per event') => {
    const micros = path === 'per event' ? figures.perEventMicros[mode] : figures.cpuMicros[mode][path];
    const base = path === 'per event' ? figures.perEventMicros.off : off[path];
    return mode === 'off'
      ? `${micros.toFixed(0)} µs`
      : `${micros.toFixed(0)} µs (${signedPercent(micros / base - 1)})`;
  };
  return [
    ['path', ...TRACING_MODES],
    ...[...PATHS, 'per event' as const].map((path) => [
      path,
      ...TRACING_MODES.map((mode) => cell(mode, path)),
    ]),
  ];
}

function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

function signedPercent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${percent(fraction)}`;
}
