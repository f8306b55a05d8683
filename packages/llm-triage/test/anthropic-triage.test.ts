import { describe, expect, it } from 'vitest';
import { ANSWER_NAME } from '../src/index.ts';
import { API_KEY, CLEAR_ITEM, input, rules, useModelServer, userText, VAGUE_ITEM } from './support/setup.ts';
import {
  anthropicCutOff,
  anthropicDecision,
  anthropicOverloaded529,
  anthropicRateLimited429,
  anthropicRefused,
  anthropicTextOnly,
} from './support/vendor-answers.ts';

const CLEAR_ANSWER = {
  route: 'app',
  confidence: 0.92,
  question: null,
  reasons: ['names the flag, the output format and the acceptance criteria'],
};

const VAGUE_ANSWER = {
  route: 'app',
  confidence: 0.25,
  question: 'Which export is wrong, and what should it produce instead?',
  reasons: ['the problem is not described', 'nothing says when it is done'],
};

async function fellBackToRules(reason: string, item = CLEAR_ITEM) {
  const byRules = await rules.triage(input(item));
  return { ...byRules, reasons: [reason, ...byRules.reasons] };
}

describe('LlmTriage over the Anthropic Messages API', () => {
  const setup = useModelServer('anthropic');

  it('routes a clear item as the model decided, in one request', async () => {
    setup.server.answer(anthropicDecision(CLEAR_ANSWER));

    const decision = await setup.build().triage(input(CLEAR_ITEM));

    expect(decision).toEqual({
      route: { name: 'app', repository: 'acme/app', agent: 'coder' },
      confidence: 0.92,
      reasons: ['decided by anthropic claude-sonnet-4-20250514', ...CLEAR_ANSWER.reasons],
    });
    expect(setup.server.requests).toHaveLength(1);
  });

  it('sends the model, the token budget, the item and the routes, and forces the decision tool', async () => {
    setup.server.answer(anthropicDecision(CLEAR_ANSWER));
    await setup.build({ maxTokens: 700 }).triage(input(CLEAR_ITEM));

    const [request] = setup.server.requests;
    expect(request?.path).toBe('/v1/messages');
    // The SDK sends the key as `x-api-key` or, in recent versions, as a bearer token.
    const headers = request?.headers ?? {};
    expect(headers['x-api-key'] ?? headers.authorization?.replace(/^Bearer /, '')).toBe(API_KEY);
    expect(headers['x-stainless-retry-count']).toBe('0');
    expect(request?.headers['anthropic-version']).toBeDefined();
    const body = request?.body as Record<string, unknown>;
    expect(body.model).toBe('claude-sonnet-4-20250514');
    expect(body.max_tokens).toBe(700);
    expect(body.tool_choice).toEqual({ type: 'tool', name: ANSWER_NAME });
    const [tool] = body.tools as {
      name: string;
      input_schema: { properties: { route: { enum: unknown[] } } };
    }[];
    expect(tool?.name).toBe(ANSWER_NAME);
    expect(tool?.input_schema.properties.route.enum).toEqual(['app', 'docs', null]);
    expect(body.system).toContain('- app: repository acme/app, agent coder; matches labels factory');
    expect(body.system).toContain('- docs: repository acme/docs, agent writer; matches labels docs');
    expect(body.messages).toHaveLength(1);
    const text = userText(request);
    expect(text).toContain(JSON.stringify(CLEAR_ITEM.title));
    expect(text).toContain('Add a `--json` flag that prints the same rows as JSON.');
    expect(text).toContain('No questions have been asked');
  });

  it("asks the model's single question about a vague item", async () => {
    setup.server.answer(anthropicDecision(VAGUE_ANSWER));

    const decision = await setup.build().triage(input(VAGUE_ITEM));

    expect(decision.confidence).toBe(0.25);
    expect(decision.question).toBe('Which export is wrong, and what should it produce instead?');
    expect(decision.route?.name).toBe('app');
    const text = userText(setup.server.requests[0]);
    expect(text).toContain('Customers complain about the export.');
    expect(text).toContain('"team": "platform"');
    expect(text).toContain('"project": "exports"');
  });

  it('shows the model the answers to earlier questions', async () => {
    setup.server.answer(anthropicDecision({ ...CLEAR_ANSWER, confidence: 0.8 }));
    const answer = { messageId: 'm-1', author: 'ana', text: 'The CSV export drops the last row.', at: 1 };

    const decision = await setup.build().triage(input(VAGUE_ITEM, [answer]));

    expect(decision.confidence).toBe(0.8);
    const text = userText(setup.server.requests[0]);
    expect(text).toContain('The CSV export drops the last row.');
    expect(text).not.toContain('No questions have been asked');
  });

  it('leaves the item without a route when the model says none fits', async () => {
    setup.server.answer(
      anthropicDecision({ ...CLEAR_ANSWER, route: null, reasons: ['this is a sales question'] }),
    );

    const decision = await setup.build().triage(input(CLEAR_ITEM));

    expect(decision.route).toBeUndefined();
    expect(decision.reasons).toEqual([
      'decided by anthropic claude-sonnet-4-20250514: no configured route fits',
      'this is a sales question',
    ]);
  });

  describe('falls back to the rules, saying why', () => {
    it('when the model names a route that is not configured', async () => {
      setup.server.answer(anthropicDecision({ ...CLEAR_ANSWER, route: 'billing' }));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules(
          'model answer unusable (route "billing" is not a configured route); fell back to rules',
        ),
      );
    });

    it('when the confidence is outside 0–1', async () => {
      setup.server.answer(anthropicDecision({ ...CLEAR_ANSWER, confidence: 1.7 }));
      const decision = await setup.build().triage(input(CLEAR_ITEM));
      expect(decision.reasons[0]).toMatch(/^model answer unusable \(confidence: .+\); fell back to rules$/);
      expect(decision.route?.name).toBe('app');
    });

    it('when a required field is missing', async () => {
      setup.server.answer(anthropicDecision({ route: 'app', question: null }));
      const decision = await setup.build().triage(input(CLEAR_ITEM));
      expect(decision.reasons[0]).toMatch(
        /^model answer unusable \(confidence: .+; reasons: .+\); fell back/,
      );
    });

    it('when the model answers in text instead of calling the tool', async () => {
      setup.server.answer(anthropicTextOnly('Looks clear to me, route app.'));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules(
          `model answer unusable (the answer has no ${ANSWER_NAME} tool call); fell back to rules`,
        ),
      );
    });

    it('when the answer was cut off at max_tokens', async () => {
      setup.server.answer(anthropicCutOff());
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules(
          'model answer unusable (the answer was cut off at max_tokens); fell back to rules',
        ),
      );
    });

    it('when the model refuses', async () => {
      setup.server.answer(anthropicRefused());
      expect(await setup.build().triage(input(VAGUE_ITEM))).toEqual(
        await fellBackToRules('model unavailable (the model refused); fell back to rules', VAGUE_ITEM),
      );
    });

    it('when the model does not answer within the timeout, after one request', async () => {
      setup.server.answer({ hold: true });
      expect(await setup.build({ timeout: 1000 }).triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules('model unavailable (timeout after 1000 ms); fell back to rules'),
      );
      expect(setup.server.requests).toHaveLength(1);
    });

    it('on 429 rate_limit_error, without retrying though the API invites it', async () => {
      setup.server.answer(anthropicRateLimited429(), anthropicDecision(CLEAR_ANSWER));
      expect(await setup.build().triage(input(CLEAR_ITEM))).toEqual(
        await fellBackToRules('model unavailable (HTTP 429 rate_limit_error); fell back to rules'),
      );
      expect(setup.server.requests).toHaveLength(1);
    });

    it('on 529 overloaded_error, without retrying', async () => {
      setup.server.answer(anthropicOverloaded529(), anthropicDecision(CLEAR_ANSWER));
      expect(await setup.build().triage(input(VAGUE_ITEM))).toEqual(
        await fellBackToRules(
          'model unavailable (HTTP 529 overloaded_error); fell back to rules',
          VAGUE_ITEM,
        ),
      );
      expect(setup.server.requests).toHaveLength(1);
    });

    it('and logs the failure without the key', async () => {
      setup.server.answer(anthropicOverloaded529());
      await setup.build().triage(input(CLEAR_ITEM));
      expect(setup.logger.lines).toEqual([
        {
          level: 'warn',
          message: 'triage model gave no usable answer; the rules decide',
          fields: {
            workItemId: 'item-1',
            model: 'anthropic claude-sonnet-4-20250514',
            kind: 'api-error',
            detail: 'HTTP 529 overloaded_error',
          },
        },
      ]);
    });
  });
});
