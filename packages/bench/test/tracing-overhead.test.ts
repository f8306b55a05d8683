import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PATHS } from '../src/event-cycle.ts';
import { measureTracing, TRACING_MODES, tracingGoals } from '../src/tracing-overhead.ts';

describe('the tracing overhead bench (two cycles per mode)', () => {
  it('runs every path in every mode, really records spans with the in-memory SDK, and leaves no provider behind', async () => {
    const figures = await measureTracing({ cycles: 2, warmup: 0 });
    for (const mode of TRACING_MODES)
      for (const path of PATHS) expect(figures.cpuMicros[mode][path]).toBeGreaterThan(0);
    // Two cycles: ten measured deliveries and two unmeasured, each a delivery span at least.
    expect(figures.spansKept).toBeGreaterThan(12);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });

  it('counts the questions tracing asks while off: one per delivery and one per event, no tracer', async () => {
    const figures = await measureTracing({ cycles: 1, warmup: 0 });
    // Six deliveries per cycle, five measured; a duplicate is not handled, so it asks once.
    expect(figures.offChecks.perEvent).toBeGreaterThan(1);
    expect(figures.offChecks.perEvent).toBeLessThanOrEqual(12 / 5);
    expect(figures.offChecks.nanosEach).toBeGreaterThan(0);
  });

  it('checks issue 26’s two bounds against the run’s own off mode', () => {
    const perPath = (micros: number) => Object.fromEntries(PATHS.map((path) => [path, micros]));
    const figures = {
      cycles: 1,
      cpuMicros: {
        off: perPath(100),
        'off, again': perPath(101),
        'on, no-op API': perPath(106),
        'on, in-memory SDK': perPath(150),
      },
      perEventMicros: { off: 100, 'off, again': 101, 'on, no-op API': 106, 'on, in-memory SDK': 150 },
      offChecks: { perEvent: 2, nanosEach: 50 },
      spansKept: 10,
    } as Parameters<typeof tracingGoals>[0];
    const [off, on] = tracingGoals(figures);
    expect(off?.met).toBe(true);
    expect(off?.measured).toContain('0.100%');
    expect(on?.met).toBe(false);
    expect(on?.measured).toContain('+6.0%');
    figures.perEventMicros['on, no-op API'] = 104;
    expect(tracingGoals(figures)[1]?.met).toBe(true);
  });
});
