import type { TriagePrompt } from './triage-prompt.ts';

export type JsonSchema = Record<string, unknown>;

export interface TriageModelRequest extends TriagePrompt {
  /** The shape the answer must have; providers pass it as a forced tool or a JSON schema format. */
  answerSchema: JsonSchema;
  maxTokens: number;
  /** Aborted when the triage's time is up. */
  signal: AbortSignal;
}

/** Where one model is reached, with which key, and how long one request may take. */
export interface TriageModelOptions {
  model: string;
  apiKey: string;
  /** The API's root; for OpenAI-compatible servers including the version segment, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl?: string;
  timeoutMs: number;
}

/** One model behind one API. Makes exactly one HTTP call per `ask`; never retries. */
export interface TriageModel {
  /** Provider and model, for reasons and logs, e.g. `anthropic claude-sonnet-4-5`. */
  readonly name: string;
  /** The model's structured answer, unvalidated; throws `ModelUnavailableError` when there is none. */
  ask(request: TriageModelRequest): Promise<unknown>;
}

/** `not-installed`: the provider's SDK, an optional peer dependency, is missing. */
export type ModelFailureKind =
  | 'timeout'
  | 'api-error'
  | 'connection'
  | 'refusal'
  | 'malformed'
  | 'not-installed';

/**
 * Why the model gave no usable answer. The detail is built from status codes and error types only,
 * never from a response body or request, so neither the key nor the ticket can end up in it.
 */
export class ModelUnavailableError extends Error {
  readonly kind: ModelFailureKind;
  readonly detail: string;

  constructor(kind: ModelFailureKind, detail: string) {
    super(`model unavailable (${detail})`);
    this.name = 'ModelUnavailableError';
    this.kind = kind;
    this.detail = detail;
  }
}
