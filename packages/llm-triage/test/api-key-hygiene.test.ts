import { describe, expect, it } from 'vitest';
import type { ScriptedAnswer } from './support/model-server.ts';
import { API_KEY, CLEAR_ITEM, input, type Provider, useModelServer } from './support/setup.ts';
import {
  anthropicOverloaded529,
  anthropicRefused,
  anthropicTextOnly,
  openAiContent,
  openAiRateLimited429,
  openAiRefused,
} from './support/vendor-answers.ts';

/** A server that quotes the key it was sent back in its error, as some gateways do. */
function echoingTheKey(provider: Provider): ScriptedAnswer {
  return provider === 'anthropic'
    ? {
        status: 401,
        body: { type: 'error', error: { type: API_KEY, message: `invalid x-api-key ${API_KEY}` } },
      }
    : {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${API_KEY}`, type: API_KEY, code: API_KEY } },
      };
}

const FAILURES: Record<Provider, ScriptedAnswer[]> = {
  anthropic: [
    anthropicOverloaded529(),
    anthropicRefused(),
    anthropicTextOnly(API_KEY),
    echoingTheKey('anthropic'),
    { hold: true },
  ],
  'openai-compatible': [
    openAiRateLimited429(),
    openAiRefused(),
    openAiContent(`not json ${API_KEY}`),
    echoingTheKey('openai-compatible'),
    { hold: true },
  ],
};

describe.each(['anthropic', 'openai-compatible'] as const)('the API key with %s', (provider) => {
  const setup = useModelServer(provider);

  it('appears in no reason and no log line, whatever goes wrong', async () => {
    const failures = FAILURES[provider];
    setup.server.answer(...failures);
    const triage = setup.build({ timeout: 1000, cacheSize: 0 });

    const decisions = [];
    for (const _ of failures) decisions.push(await triage.triage(input(CLEAR_ITEM)));

    expect(setup.server.requests).toHaveLength(failures.length);
    expect(decisions.every((decision) => decision.reasons[0]?.endsWith('fell back to rules'))).toBe(true);
    expect(decisions.at(-2)?.reasons[0]).toBe('model unavailable (HTTP 401); fell back to rules');
    expect(decisions.at(-1)?.reasons[0]).toBe(
      'model unavailable (timeout after 1000 ms); fell back to rules',
    );
    expect(JSON.stringify(decisions)).not.toContain(API_KEY);
    expect(setup.logger.lines).toHaveLength(failures.length);
    expect(JSON.stringify(setup.logger.lines)).not.toContain(API_KEY);
  });
});
