import type { TriageDecision } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { LruTriageCache, type TriageCache } from '../src/index.ts';
import { CLEAR_ITEM, input, useModelServer, VAGUE_ITEM } from './support/setup.ts';
import { anthropicDecision, anthropicOverloaded529 } from './support/vendor-answers.ts';

const ANSWER = { route: 'app', confidence: 0.9, question: null, reasons: ['clear'] };
const ANSWER_AFTER_EDIT = { route: 'app', confidence: 0.4, question: 'Which rows?', reasons: ['edited'] };

/** A durable cache stand-in: a Map behind the port, as a KV namespace or a table would be. */
class MapCache implements TriageCache {
  readonly entries = new Map<string, TriageDecision>();
  async get(key: string) {
    return this.entries.get(key);
  }
  async set(key: string, decision: TriageDecision) {
    this.entries.set(key, decision);
  }
}

describe('the decision cache, one entry per work item revision', () => {
  const setup = useModelServer('anthropic');

  it('answers a duplicate delivery of the same revision without a second call', async () => {
    setup.server.answer(anthropicDecision(ANSWER));
    const triage = setup.build();

    const first = await triage.triage(input(CLEAR_ITEM));
    const second = await triage.triage(input({ ...CLEAR_ITEM }));

    expect(second).toEqual(first);
    expect(setup.server.requests).toHaveLength(1);
  });

  it('asks again for a new revision of the item', async () => {
    setup.server.answer(anthropicDecision(ANSWER), anthropicDecision(ANSWER_AFTER_EDIT));
    const triage = setup.build();

    await triage.triage(input(CLEAR_ITEM));
    const edited = await triage.triage(
      input({ ...CLEAR_ITEM, description: 'Export rows as JSON.', updatedAt: '2026-01-01T00:05:00.000Z' }),
    );

    expect(edited.confidence).toBe(0.4);
    expect(setup.server.requests).toHaveLength(2);
  });

  it('asks again when only updatedAt changed, since that is a new revision', async () => {
    setup.server.answer(anthropicDecision(ANSWER), anthropicDecision(ANSWER));
    const triage = setup.build();

    await triage.triage(input(CLEAR_ITEM));
    await triage.triage(input({ ...CLEAR_ITEM, updatedAt: '2026-01-02T00:00:00.000Z' }));

    expect(setup.server.requests).toHaveLength(2);
  });

  it('asks again once a clarification answer arrives', async () => {
    setup.server.answer(anthropicDecision(ANSWER_AFTER_EDIT), anthropicDecision(ANSWER));
    const triage = setup.build();
    const answer = { messageId: 'm-1', author: 'ana', text: 'All rows, as a JSON array.', at: 1 };

    await triage.triage(input(VAGUE_ITEM));
    const answered = await triage.triage(input(VAGUE_ITEM, [answer]));
    await triage.triage(input(VAGUE_ITEM, [answer]));

    expect(answered.confidence).toBe(0.9);
    expect(setup.server.requests).toHaveLength(2);
  });

  it('makes one call for concurrent duplicate deliveries', async () => {
    setup.server.answer(anthropicDecision(ANSWER));
    const triage = setup.build();

    const decisions = await Promise.all([1, 2, 3].map(() => triage.triage(input(CLEAR_ITEM))));

    expect(new Set(decisions.map((decision) => JSON.stringify(decision))).size).toBe(1);
    expect(setup.server.requests).toHaveLength(1);
  });

  it('does not keep a fallback, so the next delivery gives the model another chance', async () => {
    setup.server.answer(anthropicOverloaded529(), anthropicDecision(ANSWER));
    const triage = setup.build();

    const fallback = await triage.triage(input(CLEAR_ITEM));
    const retried = await triage.triage(input(CLEAR_ITEM));

    expect(fallback.reasons[0]).toContain('fell back to rules');
    expect(retried.reasons[0]).toBe('decided by anthropic claude-sonnet-4-20250514');
    expect(setup.server.requests).toHaveLength(2);
  });

  it('hands a decision to another instance through the durable cache port', async () => {
    setup.server.answer(anthropicDecision(ANSWER));
    const durable = new MapCache();

    const first = await setup.build({ cache: durable }).triage(input(CLEAR_ITEM));
    const elsewhere = await setup.build({ cache: durable }).triage(input(CLEAR_ITEM));

    expect(elsewhere).toEqual(first);
    expect(durable.entries.size).toBe(1);
    expect(setup.server.requests).toHaveLength(1);
  });

  it('ignores a durable entry naming a route the config no longer has', async () => {
    setup.server.answer(anthropicDecision(ANSWER));
    const durable = new MapCache();
    const triage = setup.build({ cache: durable });
    await triage.triage(input(CLEAR_ITEM));
    const [key] = durable.entries.keys();
    durable.entries.set(key as string, {
      route: { name: 'retired', repository: 'acme/old', agent: 'coder' },
      confidence: 1,
      reasons: [],
    });

    setup.server.answer(anthropicDecision(ANSWER));
    const decision = await setup.build({ cache: durable }).triage(input(CLEAR_ITEM));

    expect(decision.route?.name).toBe('app');
    expect(setup.server.requests).toHaveLength(2);
  });

  it('still triages when the durable cache fails, and logs only the error class', async () => {
    setup.server.answer(anthropicDecision(ANSWER));
    const broken: TriageCache = {
      get: async () => {
        throw new Error('connect ECONNREFUSED redis://:hunter2@cache:6379');
      },
      set: async () => {
        throw new Error('connect ECONNREFUSED redis://:hunter2@cache:6379');
      },
    };

    const decision = await setup.build({ cache: broken }).triage(input(CLEAR_ITEM));

    expect(decision.route?.name).toBe('app');
    expect(setup.logger.lines.map((line) => line.message)).toEqual([
      'triage cache read failed; asking the model',
      'triage cache write failed',
    ]);
    expect(JSON.stringify(setup.logger.lines)).not.toContain('hunter2');
  });

  it('with cacheSize 0 pays for every delivery', async () => {
    setup.server.answer(anthropicDecision(ANSWER), anthropicDecision(ANSWER));
    const triage = setup.build({ cacheSize: 0 });

    await triage.triage(input(CLEAR_ITEM));
    await triage.triage(input(CLEAR_ITEM));

    expect(setup.server.requests).toHaveLength(2);
  });
});

describe('LruTriageCache', () => {
  const decision = (confidence: number): TriageDecision => ({ confidence, reasons: [] });

  it('drops the least recently used entry beyond its capacity', async () => {
    const cache = new LruTriageCache(2);
    await cache.set('a', decision(0.1));
    await cache.set('b', decision(0.2));
    await cache.get('a');
    await cache.set('c', decision(0.3));

    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toEqual(decision(0.1));
    expect(await cache.get('c')).toEqual(decision(0.3));
    expect(cache.size).toBe(2);
  });

  it('hands out copies, so a caller changing a decision does not change the cache', async () => {
    const cache = new LruTriageCache(2);
    await cache.set('a', decision(0.5));
    const copy = await cache.get('a');
    copy?.reasons.push('changed');

    expect(await cache.get('a')).toEqual(decision(0.5));
  });
});
