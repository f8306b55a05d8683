import { MissingPeerError } from '@software-factory/sdk';
import type { TriagePrompt } from './triage-prompt.ts';

export type JsonSchema = Record<string, unknown>;

export interface TriageModelRequest extends TriagePrompt {
  /** The shape the answer must have; providers pass it as a forced tool or a JSON schema format. */
  answerSchema: JsonSchema;
  maxTokens: number;
  /** Aborted when the triage's time is up. */
  signal: AbortSignal;
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

// snake_case words only: a server echoing the key (or anything else) into the field cannot leak it.
const ERROR_TYPE = /^[a-z]{1,32}(?:_[a-z]{1,32}){0,4}$/;

/** `HTTP 429 rate_limit_error`: the status and the vendor's error type when it looks like one. */
export function apiErrorDetail(status: number, errorType: unknown): string {
  return typeof errorType === 'string' && ERROR_TYPE.test(errorType)
    ? `HTTP ${status} ${errorType}`
    : `HTTP ${status}`;
}

/**
 * Why a model could not even be reached because its SDK did not load: `not-installed` for a missing
 * optional peer (`the package openai is not installed`), otherwise the error's class only.
 */
export function sdkUnavailable(error: unknown): ModelUnavailableError {
  if (error instanceof MissingPeerError) {
    return new ModelUnavailableError('not-installed', `the package ${error.packageName} is not installed`);
  }
  return new ModelUnavailableError('connection', `client error ${error instanceof Error ? error.name : ''}`);
}
