// `npm run bench:tracing`: what tracing costs per event on the in-memory store — with no OpenTelemetry
// SDK (the API's own no-op: the default), with a provider registered whose spans record nothing (every
// span, attribute and wrapper of the core is made), and with the trace SDK keeping spans in memory.

import { parseArgs } from 'node:util';
import { INVALID_SPAN_CONTEXT, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  TracerProvider as SdkTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { InMemoryStateStore } from '@software-factory/sdk';
import { failedWithUsage, runWhenMain, wholeNumber } from './command-line.ts';
import { PATHS, type PathName } from './event-cycle.ts';
import { measurePaths } from './measure-paths.ts';
import type { BenchTarget } from './targets/bench-target.ts';
import { inProcessTarget } from './targets/in-process-target.ts';

export const TRACING_MODES = ['off', 'not recording', 'in-memory SDK'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

/** Mean CPU per event (µs) by mode and path, and how many spans the in-memory SDK kept. */
export interface TracingFigures {
  cpuMicros: Record<TracingMode, Record<PathName, number>>;
  spansKept: number;
}

/** A provider whose tracer hands out the API's non-recording spans: the cost of the calls alone. */
class NotRecordingProvider implements TracerProvider {
  readonly #tracer: Tracer = {
    startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    startActiveSpan: ((_name: string, ...rest: unknown[]) => {
      const run = rest.at(-1) as (span: unknown) => unknown;
      return run(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    }) as Tracer['startActiveSpan'],
  };

  getTracer(): Tracer {
    return this.#tracer;
  }
}

/**
 * Runs `rounds` rounds; in each, every mode runs `cycles` cycles on its own store after `warmup`
 * unrecorded ones, the modes taking turns so that what else the machine does weighs on all alike.
 */
export async function measureTracing(options: {
  rounds: number;
  cycles: number;
  warmup: number;
}): Promise<TracingFigures> {
  const exporter = new InMemorySpanExporter();
  const sdk = new SdkTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const providers: Record<TracingMode, TracerProvider | undefined> = {
    off: undefined,
    'not recording': new NotRecordingProvider(),
    'in-memory SDK': sdk,
  };
  const targets = {} as Record<TracingMode, BenchTarget>;
  for (const mode of TRACING_MODES)
    targets[mode] = await inProcessTarget({
      store: `in-memory, ${mode}`,
      open: () => new InMemoryStateStore(),
    });
  const sums = Object.fromEntries(
    TRACING_MODES.map((mode) => [mode, Object.fromEntries(PATHS.map((path) => [path, 0]))]),
  ) as Record<TracingMode, Record<PathName, number>>;
  let spansKept = 0;
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of TRACING_MODES) {
        use(providers[mode]);
        const figures = await measurePaths(targets[mode], {
          warmup: round === 0 ? options.warmup : 0,
          cycles: options.cycles,
          firstCycle: round * (options.cycles + options.warmup),
        });
        for (const path of PATHS) sums[mode][path] += figures[path].cpuMicros / options.rounds;
        spansKept += exporter.getFinishedSpans().length;
        exporter.reset();
      }
    }
  } finally {
    use(undefined);
    await sdk.shutdown();
    for (const mode of TRACING_MODES) await targets[mode].close();
  }
  return { cpuMicros: sums, spansKept };
}

function use(provider: TracerProvider | undefined): void {
  trace.disable();
  if (provider) trace.setGlobalTracerProvider(provider);
}

const usage = 'usage: npm run bench:tracing -- [--rounds <n>] [--cycles <n>] [--warmup <n>]';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      cycles: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '200' },
    },
  });
  const options = {
    rounds: wholeNumber('rounds', values.rounds, 1),
    cycles: wholeNumber('cycles', values.cycles, 1),
    warmup: wholeNumber('warmup', values.warmup, 0),
  };
  console.log(
    `tracing overhead — in-memory store, ${options.rounds} rounds × ${options.cycles} cycles per mode, modes taking turns (${options.warmup} warm-up cycles each)\n`,
  );
  const figures = await measureTracing(options);
  const off = figures.cpuMicros.off;
  const cell = (mode: TracingMode, path: PathName) => {
    const micros = figures.cpuMicros[mode][path];
    return mode === 'off'
      ? `${micros.toFixed(0)} µs`
      : `${micros.toFixed(0)} µs (${signed((micros / off[path] - 1) * 100)}%)`;
  };
  console.log(['path', ...TRACING_MODES].join(' | '));
  for (const path of PATHS) console.log([path, ...TRACING_MODES.map((mode) => cell(mode, path))].join(' | '));
  console.log(`\nspans the in-memory SDK kept: ${figures.spansKept}`);
  return 0;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

runWhenMain(import.meta.url, main, failedWithUsage('bench:tracing', usage));
