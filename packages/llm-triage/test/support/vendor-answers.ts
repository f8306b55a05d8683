import { readFileSync } from 'node:fs';
import { ANSWER_NAME } from '../../src/index.ts';
import type { ScriptedAnswer } from './model-server.ts';

function fixture(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
}

const anthropicToolUse = fixture('anthropic/message.tool_use.dataeyes-recorded.json');
const anthropicRefusal = fixture('anthropic/message.refusal.DERIVED.json');
const anthropicOverloaded = fixture('anthropic/error.overloaded.docs.json');
const anthropicRateLimit = fixture('anthropic/error.rate_limit.docs.json');
const openAiCompletion = fixture('openai/chat.completion.community-recorded.json');
const openAiRateLimit = fixture('openai/error.rate_limit.manifest.json');

const REQUEST_ID = { 'request-id': 'req_018EeWyXxfu5pfWkrYcMdjWG' };

/** The recorded tool-use message with its tool call replaced by the triage tool and `input`. */
export function anthropicDecision(input: unknown, model = 'claude-sonnet-4-20250514'): ScriptedAnswer {
  const [text, call] = anthropicToolUse.content as Record<string, unknown>[];
  return {
    status: 200,
    headers: REQUEST_ID,
    body: { ...anthropicToolUse, model, content: [text, { ...call, name: ANSWER_NAME, input }] },
  };
}

/** The recorded message answered with text only, as a model ignoring the forced tool would. */
export function anthropicTextOnly(text: string): ScriptedAnswer {
  return {
    status: 200,
    headers: REQUEST_ID,
    body: { ...anthropicToolUse, stop_reason: 'end_turn', content: [{ type: 'text', text }] },
  };
}

/** The recorded tool-use message stopped at `max_tokens`, its tool input cut short. */
export function anthropicCutOff(): ScriptedAnswer {
  const [, call] = anthropicToolUse.content as Record<string, unknown>[];
  return {
    status: 200,
    headers: REQUEST_ID,
    body: {
      ...anthropicToolUse,
      stop_reason: 'max_tokens',
      content: [{ ...call, name: ANSWER_NAME, input: { route: 'app' } }],
    },
  };
}

export function anthropicRefused(): ScriptedAnswer {
  return { status: 200, headers: REQUEST_ID, body: anthropicRefusal };
}

export function anthropicOverloaded529(): ScriptedAnswer {
  return { status: 529, headers: { ...REQUEST_ID, 'x-should-retry': 'true' }, body: anthropicOverloaded };
}

export function anthropicRateLimited429(): ScriptedAnswer {
  return {
    status: 429,
    headers: { ...REQUEST_ID, 'retry-after': '0', 'x-should-retry': 'true' },
    body: anthropicRateLimit,
  };
}

/** The recorded completion with `content` as the model's text (JSON for a decision). */
export function openAiContent(content: string, finishReason = 'stop'): ScriptedAnswer {
  const [choice] = openAiCompletion.choices as Record<string, unknown>[];
  const message = (choice as { message: Record<string, unknown> }).message;
  return {
    status: 200,
    headers: { 'x-request-id': 'req_0195XjbG2FGZfN7Dqkd9kyyW' },
    body: {
      ...openAiCompletion,
      choices: [{ ...choice, message: { ...message, content }, finish_reason: finishReason }],
    },
  };
}

export function openAiDecision(decision: unknown): ScriptedAnswer {
  return openAiContent(JSON.stringify(decision));
}

/** Structured outputs' refusal: no content, the reason in `refusal`. */
export function openAiRefused(): ScriptedAnswer {
  const [choice] = openAiCompletion.choices as Record<string, unknown>[];
  const message = (choice as { message: Record<string, unknown> }).message;
  return {
    status: 200,
    body: {
      ...openAiCompletion,
      choices: [{ ...choice, message: { ...message, content: null, refusal: message.content } }],
    },
  };
}

export function openAiRateLimited429(): ScriptedAnswer {
  return { status: 429, headers: { 'retry-after': '0', 'x-should-retry': 'true' }, body: openAiRateLimit };
}

export function openAiServerError(status: number): ScriptedAnswer {
  return {
    status,
    body: { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } },
  };
}
