import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PATHS } from '../src/event-cycle.ts';
import { measureTracing, TRACING_MODES } from '../src/tracing-overhead.ts';

describe('the tracing overhead bench (one cycle per mode)', () => {
  it('runs every path in every mode, really records spans with the in-memory SDK, and leaves no provider behind', async () => {
    const figures = await measureTracing({ rounds: 1, cycles: 1, warmup: 0 });
    for (const mode of TRACING_MODES)
      for (const path of PATHS) expect(figures.cpuMicros[mode][path]).toBeGreaterThan(0);
    // One cycle: five measured deliveries and one unmeasured, each a delivery span at least.
    expect(figures.spansKept).toBeGreaterThan(6);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });
});
