import { RuleTriage } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createTriage, LlmTriage, type TriageConfigInput, triageConfigSchema } from '../src/index.ts';
import { API_KEY, CLEAR_ITEM, input, ROUTES, rules } from './support/setup.ts';

const LLM = {
  type: 'llm',
  provider: 'anthropic',
  model: 'claude-sonnet-4-20250514',
  apiKey: API_KEY,
} as const;

function issuesOf(config: unknown): { path: string; message: string }[] {
  try {
    createTriage(config as TriageConfigInput, ROUTES);
  } catch (error) {
    if (!(error instanceof z.core.$ZodError)) throw error;
    return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  }
  throw new Error('expected the config to be refused');
}

describe('createTriage', () => {
  it('builds the rules triage for { type: rules }', async () => {
    const triage = createTriage({ type: 'rules' }, ROUTES);
    expect(triage).toBeInstanceOf(RuleTriage);
    expect(await triage.triage(input(CLEAR_ITEM))).toEqual(await rules.triage(input(CLEAR_ITEM)));
  });

  it.each(['anthropic', 'openai-compatible'] as const)(
    'builds the model triage for provider %s',
    (provider) => {
      expect(createTriage({ ...LLM, provider }, ROUTES)).toBeInstanceOf(LlmTriage);
    },
  );

  it('fills in a timeout of 8 s, 1024 tokens and a 1000-entry cache', () => {
    expect(triageConfigSchema.parse(LLM)).toEqual({
      ...LLM,
      timeout: 8000,
      maxTokens: 1024,
      cacheSize: 1000,
    });
  });

  it('reads the timeout as a duration', () => {
    expect(triageConfigSchema.parse({ ...LLM, timeout: '2.5s' })).toMatchObject({ timeout: 2500 });
    expect(triageConfigSchema.parse({ ...LLM, timeout: 3000 })).toMatchObject({ timeout: 3000 });
  });

  it.each([
    'https://models.example.com/v1',
    'http://127.0.0.1:11434/v1',
    'http://localhost:8000/v1',
    'http://[::1]:8000/v1',
  ])('accepts the base URL %s', (baseUrl) => {
    expect(() => createTriage({ ...LLM, baseUrl }, ROUTES)).not.toThrow();
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an unknown type', { type: 'magic' }, 'type', /./],
    ['an unknown provider', { ...LLM, provider: 'cohere' }, 'provider', /anthropic.*openai-compatible/],
    ['no model', { ...LLM, model: undefined }, 'model', /./],
    ['a blank model', { ...LLM, model: '   ' }, 'model', /./],
    ['no apiKey', { ...LLM, apiKey: undefined }, 'apiKey', /./],
    ['an empty apiKey', { ...LLM, apiKey: '' }, 'apiKey', /./],
    ['a timeout that is not a duration', { ...LLM, timeout: 'soon' }, 'timeout', /expected a duration/],
    ['a timeout beyond two minutes', { ...LLM, timeout: '10m' }, 'timeout', /at most 120000 ms/],
    ['a zero timeout', { ...LLM, timeout: 0 }, 'timeout', /./],
    ['a token budget beyond the limit', { ...LLM, maxTokens: 100_000 }, 'maxTokens', /8192/],
    ['a fractional token budget', { ...LLM, maxTokens: 10.5 }, 'maxTokens', /int/],
    ['a negative cache size', { ...LLM, cacheSize: -1 }, 'cacheSize', /./],
    ['a base URL that is no URL', { ...LLM, baseUrl: 'models' }, 'baseUrl', /absolute http\(s\) URL/],
    ['a base URL of another scheme', { ...LLM, baseUrl: 'ftp://models.example.com' }, 'baseUrl', /ftp:/],
    [
      'plain http to a remote host',
      { ...LLM, baseUrl: 'http://models.internal/v1' },
      'baseUrl',
      /use https for models\.internal/,
    ],
    [
      'credentials in the base URL',
      { ...LLM, baseUrl: 'https://user:pw@models.example.com' },
      'baseUrl',
      /credentials do not belong in the URL/,
    ],
    [
      'a query string in the base URL',
      { ...LLM, baseUrl: 'https://models.example.com/v1?key=abc' },
      'baseUrl',
      /without a query string/,
    ],
    ['an unknown field', { ...LLM, temperature: 0.2 }, '', /temperature/],
    ['model fields on the rules triage', { type: 'rules', model: 'x' }, '', /model/],
  ])('refuses %s, naming the field', (_, config, path, message) => {
    const issues = issuesOf(config);
    expect(issues.some((issue) => issue.path === path && message.test(issue.message))).toBe(true);
  });

  it('refuses an apiKey whose environment reference was never resolved', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's reference syntax, not a template
    const reference = '${ANTHROPIC_API_KEY}';
    expect(() => createTriage({ ...LLM, apiKey: reference }, ROUTES)).toThrow(
      `triage.apiKey still holds the reference ${reference}: resolve it from the environment`,
    );
  });

  it('never repeats the key in a config error', () => {
    let caught: unknown;
    try {
      createTriage({ ...LLM, timeout: 'soon', maxTokens: -1, provider: 'nope' } as never, ROUTES);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(z.core.$ZodError);
    const error = caught as z.core.$ZodError;
    expect(`${error.message}${JSON.stringify(error.issues)}${String(error)}`).not.toContain(API_KEY);
  });
});
