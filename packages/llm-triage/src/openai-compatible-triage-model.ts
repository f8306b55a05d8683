import type OpenAI from 'openai';
import { loadOpenAiSdk, type OpenAiSdk } from './openai-sdk.ts';
import { ANSWER_NAME } from './triage-answer.ts';
import { ModelUnavailableError, type TriageModelOptions } from './triage-model.ts';
import { defineVendor, VendorTriageModel } from './vendor-triage-model.ts';

export type OpenAiCompatibleTriageModelOptions = TriageModelOptions;

type Completion = OpenAI.Chat.Completions.ChatCompletion;

/** Chat completions, answering through a strict JSON schema response format. */
const OPENAI_COMPATIBLE = defineVendor<OpenAiSdk, Completion>({
  name: 'openai-compatible',
  load: loadOpenAiSdk,
  defaultBaseUrl: 'https://api.openai.com/v1',
  // Organization and project explicit too: OPENAI_* variables of the host must not reach a third party.
  clientOptions: { organization: null, project: null },
  send: (client, model, request) =>
    client.chat.completions.create(
      {
        model,
        // `max_tokens` rather than `max_completion_tokens`: the one every compatible server reads.
        max_tokens: request.maxTokens,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: ANSWER_NAME, strict: true, schema: request.answerSchema },
        },
      },
      { signal: request.signal },
    ),
  answer(completion) {
    const choice = completion.choices[0];
    if (!choice) throw new ModelUnavailableError('malformed', 'the answer has no choices');
    if (choice.message.refusal) throw new ModelUnavailableError('refusal', 'the model refused');
    if (choice.finish_reason === 'content_filter') {
      throw new ModelUnavailableError('refusal', 'the answer was withheld by a content filter');
    }
    if (choice.finish_reason === 'length') {
      throw new ModelUnavailableError('malformed', 'the answer was cut off at max_tokens');
    }
    const content = choice.message.content;
    if (!content) throw new ModelUnavailableError('malformed', 'the answer is empty');
    try {
      return JSON.parse(content);
    } catch {
      throw new ModelUnavailableError('malformed', 'the answer is not JSON');
    }
  },
  // Compatible servers name the cause in `code` (`rate_limit_exceeded`), some only in `type`.
  errorType: (error) => error.code ?? error.type,
});

/**
 * Any chat completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, gateways): one request per triage, and
 * the rules answer if it fails.
 */
export class OpenAiCompatibleTriageModel extends VendorTriageModel {
  constructor(options: OpenAiCompatibleTriageModelOptions) {
    super(OPENAI_COMPATIBLE, options);
  }
}
