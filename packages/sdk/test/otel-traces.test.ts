import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { traceIdFor } from '../src/index.ts';
import { FactoryHarness } from '../src/testing/index.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const HOURS = 60 * 60 * 1000;

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

/** The span tree as indented `name` lines, children in start order, from the spans whose parent is absent. */
function tree(spans: readonly ReadableSpan[]): string[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const childrenOf = (parent: string | undefined) =>
    spans
      .filter((span) => {
        const id = span.parentSpanContext?.spanId;
        return parent === undefined ? id === undefined || !ids.has(id) : id === parent;
      })
      .sort((a, b) => compareTime(a.startTime, b.startTime));
  const lines: string[] = [];
  const walk = (span: ReadableSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${span.name}`);
    for (const child of childrenOf(span.spanContext().spanId)) walk(child, depth + 1);
  };
  for (const root of childrenOf(undefined)) walk(root, 0);
  return lines;
}

function compareTime(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

describe('one work item, traced with an OpenTelemetry SDK registered', () => {
  it('is one trace from the first event through the question, the reply hours later, dispatch and done', async () => {
    const h = new FactoryHarness();
    const item = h.vagueItem('item-1');
    await h.factory.handle(h.changed(item));
    const threadId = h.chat.threadFor('item-1') as string;

    h.clock.advance(3 * HOURS);
    await h.factory.handle({
      type: 'clarification.replied',
      threadId,
      messageId: 'm-1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: 'The export command should print JSON when --json is passed. Done when the JSON matches the rows.',
    });
    h.clock.advance(2 * HOURS);
    await h.factory.handle(h.output(item, 'ready'));

    const spans = exporter.getFinishedSpans();
    const runTrace = traceIdFor(h.tenant, 'item-1', 1);
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([runTrace]));
    expect(tree(spans)).toEqual([
      'handle work-item.changed',
      '  triage.triage',
      '  effect open-thread',
      '    clarifications.openThread',
      '  effect comment',
      '    workItems.postComment',
      'handle clarification.replied',
      '  triage.triage',
      '  effect reply-thread',
      '    clarifications.reply',
      '  effect set-state',
      '    workItems.setState',
      '  effect spawn',
      '    fleet.spawn',
      '  effect comment',
      '    workItems.postComment',
      'handle output.changed',
      '  effect set-state',
      '    workItems.setState',
      '  effect comment',
      '    workItems.postComment',
      '  effect release-agent',
      '    fleet.release',
      '  effect release-slots',
    ]);

    // The three events, hours apart, hang from one parent: the run's, derived again by each.
    const handled = spans.filter((span) => span.name.startsWith('handle '));
    expect(new Set(handled.map((span) => span.parentSpanContext?.spanId)).size).toBe(1);
    expect(handled.map((span) => span.attributes)).toEqual([
      expect.objectContaining({
        'factory.tenant': h.tenant,
        'factory.event': 'work-item.changed',
        'factory.work_item.id': 'item-1',
        'factory.work_item.key': 'ENG-1',
        'factory.run': 1,
        'factory.outcome': 'changed',
      }),
      expect.objectContaining({ 'factory.event': 'clarification.replied', 'factory.work_item.key': 'ENG-1' }),
      expect.objectContaining({ 'factory.event': 'output.changed', 'factory.outcome': 'changed' }),
    ]);
    const effects = spans.filter((span) => span.name.startsWith('effect '));
    expect(effects.every((span) => typeof span.attributes['factory.effect.id'] === 'string')).toBe(true);
    expect(spans.find((span) => span.name === 'fleet.spawn')?.kind).toBe(SpanKind.CLIENT);

    // The agent continues the trace from the spawn's span.
    const spawn = spans.find((span) => span.name === 'effect spawn');
    expect(h.fleet.agents.get('agent-1')?.request.traceparent).toBe(
      `00-${runTrace}-${spawn?.spanContext().spanId}-01`,
    );
  });

  it('stamps every log line of the run with its trace id and the span it was written in', async () => {
    const h = new FactoryHarness();
    await h.factory.handle(h.changed(h.clearItem('item-1')));
    const spans = new Map(exporter.getFinishedSpans().map((span) => [span.spanContext().spanId, span]));
    const lines = h.logger.lines.filter((line) => line.fields.workItemId === 'item-1');
    expect(lines.map((line) => line.message)).toContain('event handled');
    for (const line of lines) {
      const span = spans.get(String(line.fields.spanId));
      expect(span, line.message).toBeDefined();
      expect(span?.spanContext().traceId).toBe(line.fields.traceId);
    }
  });

  it('starts a new trace for a new run of the same item', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    await h.factory.handle(h.output(item, 'ready'));
    await h.factory.handle(h.changed(h.edit(item, { state: 'todo' })));
    const handled = exporter.getFinishedSpans().filter((span) => span.name.startsWith('handle '));
    expect(handled.map((span) => [span.attributes['factory.run'], span.spanContext().traceId])).toEqual([
      [1, traceIdFor(h.tenant, 'item-1', 1)],
      [1, traceIdFor(h.tenant, 'item-1', 1)],
      [2, traceIdFor(h.tenant, 'item-1', 2)],
    ]);
  });

  it('gives an event that moves two work items a span in each one’s trace, each with its own effects', async () => {
    const h = new FactoryHarness({
      settings: {
        routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
        limits: { maxInFlight: 1 },
      },
    });
    const first = h.clearItem('item-1');
    await h.factory.handle(h.changed(first));
    await h.factory.handle(h.changed(h.clearItem('item-2')));
    exporter.reset();

    // The first one's pull request is ready: it is done, and the queued one starts in its place.
    await h.factory.handle(h.output(first, 'ready'));
    const spans = exporter.getFinishedSpans();
    const inTrace = (id: string) =>
      tree(spans.filter((span) => span.spanContext().traceId === traceIdFor(h.tenant, id, 1)));
    expect(inTrace('item-1')).toEqual([
      'handle output.changed',
      '  effect set-state',
      '    workItems.setState',
      '  effect comment',
      '    workItems.postComment',
      '  effect release-agent',
      '    fleet.release',
      '  effect release-slots',
    ]);
    expect(inTrace('item-2')).toEqual([
      'handle output.changed',
      '  effect set-state',
      '    workItems.setState',
      '  effect spawn',
      '    fleet.spawn',
      '  effect comment',
      '    workItems.postComment',
    ]);
    expect(spans).toHaveLength(inTrace('item-1').length + inTrace('item-2').length);
  });

  it('keeps an event that names no work item in a span of its own', async () => {
    const h = new FactoryHarness();
    await h.factory.handle({ type: 'tick' });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toContain('handle tick');
    expect(spans.find((span) => span.name === 'handle tick')?.attributes['factory.outcome']).toBe('ignored');
  });

  it('marks a failed provider call and its effect with the error type only, never its message', async () => {
    const h = new FactoryHarness();
    h.tracker.setState = async () => {
      throw new Error('token ghp_secret123 was refused');
    };
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(result.outcome).toBe('incomplete');
    const spans = exporter.getFinishedSpans();
    const failed = spans.filter((span) => span.status.code === SpanStatusCode.ERROR).map((span) => span.name);
    expect(failed).toEqual(['workItems.setState', 'effect set-state', 'handle work-item.changed']);
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.status]))).not.toContain(
      'ghp_secret123',
    );
  });
});

describe('without an OpenTelemetry SDK', () => {
  it("makes no spans, and still gives the agent the run's traceparent", async () => {
    trace.disable();
    try {
      const h = new FactoryHarness();
      await h.factory.handle(h.changed(h.clearItem('item-1')));
      expect(exporter.getFinishedSpans()).toEqual([]);
      expect(h.fleet.agents.get('agent-1')?.request.traceparent).toMatch(
        new RegExp(`^00-${traceIdFor(h.tenant, 'item-1', 1)}-[0-9a-f]{16}-01$`),
      );
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
  });
});
