import type Anthropic from '@anthropic-ai/sdk';
import { type AnthropicSdk, loadAnthropicSdk } from './anthropic-sdk.ts';
import { ANSWER_NAME } from './triage-answer.ts';
import {
  apiErrorDetail,
  ModelUnavailableError,
  sdkUnavailable,
  type TriageModel,
  type TriageModelRequest,
} from './triage-model.ts';

export interface AnthropicTriageModelOptions {
  model: string;
  apiKey: string;
  baseUrl?: string;
  timeoutMs: number;
}

const ANTHROPIC_API = 'https://api.anthropic.com';

/**
 * The Anthropic Messages API, answering through one forced tool call whose input schema is the
 * decision. Retries are off: one triage is one HTTP request, and the rules answer if it fails.
 */
export class AnthropicTriageModel implements TriageModel {
  readonly name: string;
  readonly #options: AnthropicTriageModelOptions;
  /** Created on the first `ask`, when the SDK is loaded. */
  #client: Promise<{ sdk: AnthropicSdk; client: Anthropic }> | undefined;

  constructor(options: AnthropicTriageModelOptions) {
    this.name = `anthropic ${options.model}`;
    this.#options = { ...options };
  }

  async ask(request: TriageModelRequest): Promise<unknown> {
    let sdk: AnthropicSdk;
    let client: Anthropic;
    try {
      ({ sdk, client } = await this.#connect());
    } catch (error) {
      throw sdkUnavailable(error);
    }
    let message: Anthropic.Message;
    try {
      message = await client.messages.create(
        {
          model: this.#options.model,
          max_tokens: request.maxTokens,
          system: request.system,
          messages: [{ role: 'user', content: request.user }],
          tools: [
            {
              name: ANSWER_NAME,
              description: 'Record the triage decision for the ticket.',
              input_schema: request.answerSchema as Anthropic.Tool.InputSchema,
            },
          ],
          tool_choice: { type: 'tool', name: ANSWER_NAME },
        },
        { signal: request.signal },
      );
    } catch (error) {
      throw toUnavailable(sdk, error, request.signal);
    }
    if (message.stop_reason === 'refusal') throw new ModelUnavailableError('refusal', 'the model refused');
    if (message.stop_reason === 'max_tokens') {
      throw new ModelUnavailableError('malformed', 'the answer was cut off at max_tokens');
    }
    const call = message.content.find((block) => block.type === 'tool_use' && block.name === ANSWER_NAME);
    if (call?.type !== 'tool_use') {
      throw new ModelUnavailableError('malformed', `the answer has no ${ANSWER_NAME} tool call`);
    }
    return call.input;
  }

  #connect(): Promise<{ sdk: AnthropicSdk; client: Anthropic }> {
    const options = this.#options;
    this.#client ??= loadAnthropicSdk().then((sdk) => ({
      sdk,
      // Everything explicit, so no ANTHROPIC_* variable of the host process changes where the key goes.
      client: new sdk({
        apiKey: options.apiKey,
        baseURL: options.baseUrl ?? ANTHROPIC_API,
        maxRetries: 0,
        timeout: options.timeoutMs,
        logLevel: 'off',
      }),
    }));
    return this.#client;
  }
}

function toUnavailable(sdk: AnthropicSdk, error: unknown, signal: AbortSignal): ModelUnavailableError {
  if (signal.aborted || error instanceof sdk.APIConnectionTimeoutError) {
    return new ModelUnavailableError('timeout', 'timeout');
  }
  if (error instanceof sdk.APIConnectionError) {
    return new ModelUnavailableError('connection', 'connection failed');
  }
  if (error instanceof sdk.APIError && error.status !== undefined) {
    return new ModelUnavailableError('api-error', apiErrorDetail(error.status, error.type));
  }
  return new ModelUnavailableError('connection', `client error ${error instanceof Error ? error.name : ''}`);
}
