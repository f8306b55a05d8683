export { AnthropicTriageModel, type AnthropicTriageModelOptions } from './anthropic-triage-model.ts';
export { type CreateTriageOptions, checkTriage, createTriage } from './create-triage.ts';
export { LlmTriage, type LlmTriageOptions } from './llm-triage.ts';
export {
  OpenAiCompatibleTriageModel,
  type OpenAiCompatibleTriageModelOptions,
} from './openai-compatible-triage-model.ts';
export { ANSWER_NAME, answerJsonSchema, type ModelAnswer, modelAnswerSchema } from './triage-answer.ts';
export { LruTriageCache, revisionKey, type TriageCache } from './triage-cache.ts';
export {
  type LlmTriageConfig,
  llmTriageConfigSchema,
  MAX_TOKENS_LIMIT,
  rulesTriageConfigSchema,
  TIMEOUT_LIMIT_MS,
  type TriageConfig,
  type TriageConfigInput,
  triageConfigSchema,
} from './triage-config.ts';
export {
  type ModelFailureKind,
  ModelUnavailableError,
  type TriageModel,
  type TriageModelRequest,
} from './triage-model.ts';
export { buildTriagePrompt, type TriagePrompt } from './triage-prompt.ts';
