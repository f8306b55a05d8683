import type OpenAI from 'openai';
import { loadOpenAiSdk, type OpenAiSdk } from './openai-sdk.ts';
import { ANSWER_NAME } from './triage-answer.ts';
import {
  apiErrorDetail,
  ModelUnavailableError,
  sdkUnavailable,
  type TriageModel,
  type TriageModelRequest,
} from './triage-model.ts';

export interface OpenAiCompatibleTriageModelOptions {
  model: string;
  apiKey: string;
  /** Including the version segment, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl?: string;
  timeoutMs: number;
}

const OPENAI_API = 'https://api.openai.com/v1';

/**
 * Any chat completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, gateways), answering through a
 * strict JSON schema response format. Retries are off: one triage is one HTTP request.
 */
export class OpenAiCompatibleTriageModel implements TriageModel {
  readonly name: string;
  readonly #options: OpenAiCompatibleTriageModelOptions;
  /** Created on the first `ask`, when the SDK is loaded. */
  #client: Promise<{ sdk: OpenAiSdk; client: OpenAI }> | undefined;

  constructor(options: OpenAiCompatibleTriageModelOptions) {
    this.name = `openai-compatible ${options.model}`;
    this.#options = { ...options };
  }

  async ask(request: TriageModelRequest): Promise<unknown> {
    let sdk: OpenAiSdk;
    let client: OpenAI;
    try {
      ({ sdk, client } = await this.#connect());
    } catch (error) {
      throw sdkUnavailable(error);
    }
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await client.chat.completions.create(
        {
          model: this.#options.model,
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
      );
    } catch (error) {
      throw toUnavailable(sdk, error, request.signal);
    }
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
  }

  #connect(): Promise<{ sdk: OpenAiSdk; client: OpenAI }> {
    const options = this.#options;
    this.#client ??= loadOpenAiSdk().then((sdk) => ({
      sdk,
      // Organization and project explicit too: OPENAI_* variables of the host must not reach a third party.
      client: new sdk({
        apiKey: options.apiKey,
        baseURL: options.baseUrl ?? OPENAI_API,
        organization: null,
        project: null,
        maxRetries: 0,
        timeout: options.timeoutMs,
        logLevel: 'off',
      }),
    }));
    return this.#client;
  }
}

function toUnavailable(sdk: OpenAiSdk, error: unknown, signal: AbortSignal): ModelUnavailableError {
  if (signal.aborted || error instanceof sdk.APIConnectionTimeoutError) {
    return new ModelUnavailableError('timeout', 'timeout');
  }
  if (error instanceof sdk.APIConnectionError) {
    return new ModelUnavailableError('connection', 'connection failed');
  }
  if (error instanceof sdk.APIError && error.status !== undefined) {
    return new ModelUnavailableError('api-error', apiErrorDetail(error.status, error.code ?? error.type));
  }
  return new ModelUnavailableError('connection', `client error ${error instanceof Error ? error.name : ''}`);
}
