import { resolveSettings } from '@software-factory/sdk';
import { FactoryHarness } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { createTriage } from '../src/index.ts';
import { ModelServer } from './support/model-server.ts';
import { API_KEY, userText } from './support/setup.ts';
import { anthropicDecision, anthropicOverloaded529 } from './support/vendor-answers.ts';

const SETTINGS = {
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
  limits: { maxInFlight: 2 },
};

async function harnessWithModel(): Promise<{ h: FactoryHarness; server: ModelServer }> {
  const server = new ModelServer();
  await server.start();
  const triage = createTriage(
    {
      type: 'llm',
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      baseUrl: server.url,
      apiKey: API_KEY,
      timeout: '10s',
      maxTokens: 512,
    },
    resolveSettings(SETTINGS).routes,
  );
  return { h: new FactoryHarness({ settings: SETTINGS, triage }), server };
}

describe('the factory with LlmTriage as its triage port', () => {
  it("asks the model's question in the thread, then dispatches once the answer makes the item clear", async () => {
    const { h, server } = await harnessWithModel();
    try {
      const question = 'Which page is broken, and what should it show instead?';
      server.answer(
        anthropicDecision({ route: 'app', confidence: 0.2, question, reasons: ['no symptom given'] }),
        anthropicDecision({
          route: 'app',
          confidence: 0.9,
          question: null,
          reasons: ['the answer settles it'],
        }),
      );
      const item = h.vagueItem('item-7');

      const asked = await h.factory.handle(h.changed(item));

      expect(asked.transitions.map((t) => t.to)).toEqual(['waiting-clarification']);
      const threadId = h.chat.threadFor('item-7');
      expect(h.chat.threads.get(threadId as string)?.question).toBe(question);

      const answered = await h.factory.handle({
        type: 'clarification.replied',
        threadId: threadId as string,
        messageId: 'm-1',
        author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
        text: 'The billing page shows an empty table; it should list the invoices of the last year.',
      });

      expect(answered.transitions.map((t) => t.to)).toEqual(['dispatched']);
      expect(h.fleet.agents.size).toBe(1);
      expect(server.requests).toHaveLength(2);
      expect(userText(server.requests[1])).toContain('it should list the invoices of the last year');
    } finally {
      await server.stop();
    }
  });

  it('dispatches a clear item on one model call, and a redelivery calls no more', async () => {
    const { h, server } = await harnessWithModel();
    try {
      server.answer(
        anthropicDecision({ route: 'app', confidence: 0.95, question: null, reasons: ['clear'] }),
      );
      const item = h.clearItem('item-8');

      const first = await h.factory.handle(h.changed(item));
      await h.factory.handle(h.changed(item));

      expect(first.transitions.map((t) => t.to)).toEqual(['dispatched']);
      expect(h.fleet.agents.size).toBe(1);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('keeps working on the rules while the model is overloaded', async () => {
    const { h, server } = await harnessWithModel();
    try {
      server.answer(anthropicOverloaded529());
      const item = h.vagueItem('item-9');

      const asked = await h.factory.handle(h.changed(item));

      expect(asked.transitions.map((t) => t.to)).toEqual(['waiting-clarification']);
      const threadId = h.chat.threadFor('item-9');
      expect(h.chat.threads.get(threadId as string)?.question).toContain('"Fix it" is short on detail');
    } finally {
      await server.stop();
    }
  });
});
