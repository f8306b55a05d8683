import { type Logger, type RouteConfig, RuleTriage, type Triage } from '@software-factory/sdk';
import { loadAnthropicSdk } from './anthropic-sdk.ts';
import { AnthropicTriageModel } from './anthropic-triage-model.ts';
import { LlmTriage } from './llm-triage.ts';
import { OpenAiCompatibleTriageModel } from './openai-compatible-triage-model.ts';
import { loadOpenAiSdk } from './openai-sdk.ts';
import type { TriageCache } from './triage-cache.ts';
import {
  type LlmTriageConfig,
  type TriageConfig,
  type TriageConfigInput,
  triageConfigSchema,
} from './triage-config.ts';
import type { TriageModel } from './triage-model.ts';

export interface CreateTriageOptions {
  logger?: Logger;
  /** A durable decision cache shared by instances (see `TriageCache`). */
  cache?: TriageCache;
}

const UNRESOLVED_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * The triage port a tenant's `triage:` config block asks for. The config must already have its
 * `${ENV_VAR}` references resolved; a bad block throws a zod error (`$ZodError`) naming each bad field.
 *
 * The provider's SDK is an optional peer dependency and is loaded on the first triage, not here: a
 * missing one makes every triage fall back to the rules (`model unavailable (the package openai is
 * not installed)`). Call `checkTriage` at start-up to refuse that configuration instead.
 */
export function createTriage(
  config: TriageConfigInput,
  routes: readonly RouteConfig[],
  options: CreateTriageOptions = {},
): Triage {
  const parsed = parseTriageConfig(config);
  if (parsed.type === 'rules') return new RuleTriage(routes);
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

/**
 * Resolves when the triage the config asks for can run here: for a model triage, its provider's SDK
 * (an optional peer dependency) loads; no request is made. Rejects as `createTriage` throws for a bad
 * block, and with the core's `MissingPeerError` when the SDK is not installed:
 * `triage.provider anthropic needs the package @anthropic-ai/sdk: npm install @anthropic-ai/sdk`.
 * The SDK stays loaded, so the first triage does not spend its deadline loading it.
 */
export async function checkTriage(config: TriageConfigInput): Promise<void> {
  const parsed = parseTriageConfig(config);
  if (parsed.type === 'rules') return;
  await (parsed.provider === 'anthropic' ? loadAnthropicSdk() : loadOpenAiSdk());
}

function parseTriageConfig(config: TriageConfigInput): TriageConfig {
  const parsed = triageConfigSchema.parse(config);
  if (parsed.type === 'rules') return parsed;
  const reference = UNRESOLVED_REFERENCE.exec(parsed.apiKey);
  if (reference) {
    throw new Error(
      `triage.apiKey still holds the reference \${${reference[1]}}: resolve it from the environment before creating the triage`,
    );
  }
  return parsed;
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
