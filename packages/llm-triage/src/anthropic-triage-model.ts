import type Anthropic from '@anthropic-ai/sdk';
import { type AnthropicSdk, loadAnthropicSdk } from './anthropic-sdk.ts';
import { ANSWER_NAME } from './triage-answer.ts';
import { ModelUnavailableError, type TriageModelOptions } from './triage-model.ts';
import { defineVendor, VendorTriageModel } from './vendor-triage-model.ts';

export type AnthropicTriageModelOptions = TriageModelOptions;

/** The Messages API, answering through one forced tool call whose input schema is the decision. */
const ANTHROPIC = defineVendor<AnthropicSdk, Anthropic.Message>({
  name: 'anthropic',
  load: loadAnthropicSdk,
  defaultBaseUrl: 'https://api.anthropic.com',
  send: (client, model, request) =>
    client.messages.create(
      {
        model,
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
    ),
  answer(message) {
    if (message.stop_reason === 'refusal') throw new ModelUnavailableError('refusal', 'the model refused');
    if (message.stop_reason === 'max_tokens') {
      throw new ModelUnavailableError('malformed', 'the answer was cut off at max_tokens');
    }
    const call = message.content.find((block) => block.type === 'tool_use' && block.name === ANSWER_NAME);
    if (call?.type !== 'tool_use') {
      throw new ModelUnavailableError('malformed', `the answer has no ${ANSWER_NAME} tool call`);
    }
    return call.input;
  },
  errorType: (error) => error.type,
});

/** The Anthropic Messages API: one request per triage, and the rules answer if it fails. */
export class AnthropicTriageModel extends VendorTriageModel {
  constructor(options: AnthropicTriageModelOptions) {
    super(ANTHROPIC, options);
  }
}
