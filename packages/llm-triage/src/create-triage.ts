import { type Logger, type RouteConfig, RuleTriage, type Triage } from '@software-factory/sdk';
import { AnthropicTriageModel } from './anthropic-triage-model.ts';
import { LlmTriage } from './llm-triage.ts';
import { OpenAiCompatibleTriageModel } from './openai-compatible-triage-model.ts';
import type { TriageCache } from './triage-cache.ts';
import { type LlmTriageConfig, type TriageConfigInput, triageConfigSchema } from './triage-config.ts';
import type { TriageModel } from './triage-model.ts';

export interface CreateTriageOptions {
  logger?: Logger;
  /** A durable decision cache shared by instances (see `TriageCache`). */
  cache?: TriageCache;
}

const UNRESOLVED_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * The triage port a tenant's `triage:` config block asks for. The config must already have its
 * `${ENV_VAR}` references resolved; a bad block throws a `ZodError` naming each bad field.
 */
export function createTriage(
  config: TriageConfigInput,
  routes: readonly RouteConfig[],
  options: CreateTriageOptions = {},
): Triage {
  const parsed = triageConfigSchema.parse(config);
  if (parsed.type === 'rules') return new RuleTriage(routes);
  const reference = UNRESOLVED_REFERENCE.exec(parsed.apiKey);
  if (reference) {
    throw new Error(
      `triage.apiKey still holds the reference \${${reference[1]}}: resolve it from the environment before creating the triage`,
    );
  }
  return new LlmTriage({
    model: createModel(parsed),
    routes,
    timeoutMs: parsed.timeout,
    maxTokens: parsed.maxTokens,
    memoryCacheSize: parsed.cacheSize,
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

function createModel(config: LlmTriageConfig): TriageModel {
  const options = {
    model: config.model,
    apiKey: config.apiKey,
    timeoutMs: config.timeout,
    ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
  };
  return config.provider === 'anthropic'
    ? new AnthropicTriageModel(options)
    : new OpenAiCompatibleTriageModel(options);
}
