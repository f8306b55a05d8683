import { describe, expect, it } from 'vitest';
import { ANSWER_NAME } from '../src/index.ts';
import { API_KEY, CLEAR_ITEM, input, rules, useModelServer, VAGUE_ITEM } from './support/setup.ts';
import {
  openAiContent,
  openAiDecision,
  openAiRateLimited429,
  openAiRefused,
  openAiServerError,
} from './support/vendor-answers.ts';

const CLEAR_ANSWER = {
  route: 'docs',
  confidence: 0.88,
  question: null,
  reasons: ['a documentation change with a clear result'],
};

const VAGUE_ANSWER = {
  route: 'app',
  confidence: 0.3,
  question: 'What do customers see in the export that they did not expect?',
  reasons: ['the complaint is not described'],
};

async function fellBackToRules(reason: string, item = CLEAR_ITEM) {
  const byRules = await rules.triage(input(item));
  return { ...byRules, reasons: [reason, ...byRules.reasons] };
}

describe('LlmTriage over an OpenAI-compatible chat completions API', () => {
  const setup = useModelServer('openai-compatible');

  it('routes a clear item as the model decided, with the route carrying its own limit', async () => {
    setup.server.answer(openAiDecision(CLEAR_ANSWER));

    const decision = await setup.build().triage(input(CLEAR_ITEM));

    expect(decision).toEqual({
      route: { name: 'docs', repository: 'acme/docs', agent: 'writer', maxInFlight: 1 },
      confidence: 0.88,
      reasons: ['decided by openai-compatible gpt-4o-mini-2024-07-18', ...CLEAR_ANSWER.reasons],
    });
    expect(setup.server.requests).toHaveLength(1);
  });

  it('sends the model, the token budget, the item, the routes and a strict JSON schema format', async () => {
    setup.server.answer(openAiDecision(CLEAR_ANSWER));
    await setup.build({ maxTokens: 300 }).triage(input(CLEAR_ITEM));

    const [request] = setup.server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['openai-organization']).toBeUndefined();
    expect(request?.headers['x-stainless-retry-count']).toBe('0');
    const body = request?.body as Record<string, unknown>;
    expect(body.model).toBe('gpt-4o-mini-2024-07-18');
    expect(body.max_tokens).toBe(300);
    const format = body.response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: { properties: { route: { enum: unknown[] } } } };
    };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe(ANSWER_NAME);
    expect(format.json_schema.strict).toBe(true);
    expect(format.json_schema.schema.properties.route.enum).toEqual(['app', 'docs', null]);
    const [system, user] = body.messages as { role: string; content: string }[];
    expect(system?.role).toBe('system');
    expect(system?.content).toContain('- app: repository acme/app, agent coder; matches labels factory');
    expect(system?.content).toContain('- docs: repository acme/docs, agent writer; matches labels docs');
    expect(system?.content).toContain('Never invent, rename or combine routes.');
    expect(user?.role).toBe('user');
    expect(user?.content).toContain(JSON.stringify(CLEAR_ITEM.title));
    expect(user?.content).toContain('"labels": [\n    "factory"\n  ]');
  });

  it("asks the model's single question about a vague item", async () => {
    setup.server.answer(openAiDecision(VAGUE_ANSWER));

    const decision = await setup.build().triage(input(VAGUE_ITEM));

    expect(decision).toEqual({
      route: { name: 'app', repository: 'acme/app', agent: 'coder' },
      confidence: 0.3,
      question: 'What do customers see in the export that they did not expect?',
      reasons: ['decided by openai-compatible gpt-4o-mini-2024-07-18', 'the complaint is not described'],
    });
  });

  describe('falls back to the rules, saying why', () => {
    it('when the answer is not JSON', async () => {
      setup.server.answer(openAiContent("I'm sorry, I can't assist with that."));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules('model answer unusable (the answer is not JSON); fell back to rules'),
      );
    });

    it('when the model invents a route', async () => {
      setup.server.answer(openAiDecision({ ...VAGUE_ANSWER, route: 'frontend' }));
      expect(await setup.build().triage(input(VAGUE_ITEM))).toEqual(
        await fellBackToRules(
          'model answer unusable (route "frontend" is not a configured route); fell back to rules',
          VAGUE_ITEM,
        ),
      );
    });

    it('when the answer has the wrong types', async () => {
      setup.server.answer(openAiDecision({ ...CLEAR_ANSWER, confidence: 'high', reasons: 'clear' }));
      const decision = await setup.build().triage(input(CLEAR_ITEM));
      expect(decision.reasons[0]).toMatch(
        /^model answer unusable \(confidence: .+; reasons: .+\); fell back/,
      );
    });

    it('when the answer was cut off at max_tokens', async () => {
      setup.server.answer(openAiContent('{"route": "app", "confid', 'length'));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules(
          'model answer unusable (the answer was cut off at max_tokens); fell back to rules',
        ),
      );
    });

    it('when the model refuses', async () => {
      setup.server.answer(openAiRefused());
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules('model unavailable (the model refused); fell back to rules'),
      );
    });

    it('when the model does not answer within the timeout, after one request', async () => {
      setup.server.answer({ hold: true });
      expect(await setup.build({ timeout: 1000 }).triage(input(VAGUE_ITEM))).toEqual(
        await fellBackToRules('model unavailable (timeout after 1000 ms); fell back to rules', VAGUE_ITEM),
      );
      expect(setup.server.requests).toHaveLength(1);
    });

    it('on 429 rate_limit_exceeded, without retrying', async () => {
      setup.server.answer(openAiRateLimited429(), openAiDecision(CLEAR_ANSWER));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules('model unavailable (HTTP 429 rate_limit_exceeded); fell back to rules'),
      );
      expect(setup.server.requests).toHaveLength(1);
    });

    it('on a 503 from the server, without retrying', async () => {
      setup.server.answer(openAiServerError(503), openAiDecision(CLEAR_ANSWER));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules('model unavailable (HTTP 503 server_error); fell back to rules'),
      );
      expect(setup.server.requests).toHaveLength(1);
    });

    it('when nothing listens at the base URL', async () => {
      await setup.server.stop();
      const decision = await setup.build().triage(input(CLEAR_ITEM));
      expect(decision.reasons[0]).toBe('model unavailable (connection failed); fell back to rules');
    });
  });
});
