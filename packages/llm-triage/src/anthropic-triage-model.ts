import Anthropic from '@anthropic-ai/sdk';
import { ANSWER_NAME } from './triage-answer.ts';
import {
  apiErrorDetail,
  ModelUnavailableError,
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
  readonly #client: Anthropic;
  readonly #model: string;

  constructor(options: AnthropicTriageModelOptions) {
    this.name = `anthropic ${options.model}`;
    this.#model = options.model;
    // Everything explicit, so no ANTHROPIC_* variable of the host process changes where the key goes.
    this.#client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseUrl ?? ANTHROPIC_API,
      maxRetries: 0,
      timeout: options.timeoutMs,
      logLevel: 'off',
    });
  }

  async ask(request: TriageModelRequest): Promise<unknown> {
    let message: Anthropic.Message;
    try {
      message = await this.#client.messages.create(
        {
          model: this.#model,
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
      throw toUnavailable(error, request.signal);
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
}

function toUnavailable(error: unknown, signal: AbortSignal): ModelUnavailableError {
  if (signal.aborted || error instanceof Anthropic.APIConnectionTimeoutError) {
    return new ModelUnavailableError('timeout', 'timeout');
  }
  if (error instanceof Anthropic.APIConnectionError) {
    return new ModelUnavailableError('connection', 'connection failed');
  }
  if (error instanceof Anthropic.APIError && error.status !== undefined) {
    return new ModelUnavailableError('api-error', apiErrorDetail(error.status, error.type));
  }
  return new ModelUnavailableError('connection', `client error ${error instanceof Error ? error.name : ''}`);
}
