import {
  type Logger,
  type RouteConfig,
  RuleTriage,
  routeDecision,
  silentLogger,
  type Triage,
  type TriageDecision,
  type TriageInput,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { answerJsonSchema, describeIssues, modelAnswerSchema } from './triage-answer.ts';
import { LruTriageCache, revisionKey, type TriageCache } from './triage-cache.ts';
import { ModelUnavailableError, type TriageModel } from './triage-model.ts';
import { buildTriagePrompt } from './triage-prompt.ts';

export interface LlmTriageOptions {
  model: TriageModel;
  routes: readonly RouteConfig[];
  /** The whole model call, connection to last byte; past it the rules decide. */
  timeoutMs: number;
  maxTokens: number;
  /** Decisions kept in memory per work item revision; 0 turns the memory cache off. */
  memoryCacheSize?: number;
  /** A shared, durable cache consulted after the memory one. */
  cache?: TriageCache;
  /** Who decides when the model cannot; the rules over the same routes unless given. */
  fallback?: Triage;
  logger?: Logger;
}

/** What a durable cache hands back is checked like any other input before it is trusted. */
const cachedDecisionSchema = z.object({
  route: z.optional(
    z.object({
      name: z.string(),
      repository: z.string(),
      agent: z.string(),
      maxInFlight: z.optional(z.int().check(z.positive())),
    }),
  ),
  confidence: z.number().check(z.minimum(0), z.maximum(1)),
  question: z.optional(z.string()),
  reasons: z.array(z.string()),
});

/**
 * Triage by a model that reads the work item: one bounded call per work item revision, its answer
 * validated against the configured routes, and the rules deciding whenever the model times out,
 * refuses, fails or answers something unusable. It never throws for a model failure.
 */
export class LlmTriage implements Triage {
  readonly #options: LlmTriageOptions;
  readonly #memory: LruTriageCache;
  readonly #fallback: Triage;
  readonly #logger: Logger;
  readonly #answerSchema: Record<string, unknown>;
  /** Concurrent duplicate deliveries of one revision wait for the same call instead of paying twice. */
  readonly #inFlight = new Map<string, Promise<TriageDecision>>();

  constructor(options: LlmTriageOptions) {
    this.#options = options;
    this.#memory = new LruTriageCache(options.memoryCacheSize ?? 1000);
    this.#fallback = options.fallback ?? new RuleTriage(options.routes);
    this.#logger = options.logger ?? silentLogger;
    this.#answerSchema = answerJsonSchema(options.routes.map((route) => route.name));
  }

  async triage(input: TriageInput): Promise<TriageDecision> {
    if (this.#options.routes.length === 0) return this.#fallback.triage(input);
    const prompt = buildTriagePrompt(input, this.#options.routes);
    const key = await revisionKey(input, this.#options.model.name, `${prompt.system}\n${prompt.user}`);
    const cached = (await this.#memory.get(key)) ?? (await this.#readDurable(key));
    if (cached) {
      this.#logger.debug('triage answered from cache', { workItemId: input.item.id });
      return cached;
    }
    const pending = this.#inFlight.get(key);
    if (pending) return structuredClone(await pending);
    const decision = this.#decide(input, prompt, key).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, decision);
    return structuredClone(await decision);
  }

  async #decide(
    input: TriageInput,
    prompt: { system: string; user: string },
    key: string,
  ): Promise<TriageDecision> {
    let decision: TriageDecision;
    try {
      decision = this.#toDecision(await this.#ask(prompt));
    } catch (error) {
      const failure =
        error instanceof ModelUnavailableError
          ? error
          : new ModelUnavailableError(
              'connection',
              `unexpected ${error instanceof Error ? error.name : 'error'}`,
            );
      return this.#fallBack(input, failure);
    }
    await this.#memory.set(key, decision);
    await this.#writeDurable(key, decision);
    return decision;
  }

  async #ask(prompt: { system: string; user: string }): Promise<unknown> {
    const { model, timeoutMs, maxTokens } = this.#options;
    const deadline = new AbortController();
    // The race makes the deadline hold even if a client ignored the signal while reading a body.
    const expired = new Promise<never>((_, reject) => {
      deadline.signal.addEventListener('abort', () =>
        reject(new ModelUnavailableError('timeout', `timeout after ${timeoutMs} ms`)),
      );
    });
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      return await Promise.race([
        model.ask({ ...prompt, answerSchema: this.#answerSchema, maxTokens, signal: deadline.signal }),
        expired,
      ]);
    } catch (error) {
      if (error instanceof ModelUnavailableError && error.kind === 'timeout') {
        throw new ModelUnavailableError('timeout', `timeout after ${timeoutMs} ms`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #toDecision(raw: unknown): TriageDecision {
    const parsed = modelAnswerSchema.safeParse(raw);
    if (!parsed.success) throw new ModelUnavailableError('malformed', describeIssues(parsed.error));
    const answer = parsed.data;
    const decided = `decided by ${this.#options.model.name}`;
    const decision: TriageDecision = { confidence: answer.confidence, reasons: [decided, ...answer.reasons] };
    if (answer.route !== null) {
      const route = this.#options.routes.find((candidate) => candidate.name === answer.route);
      if (!route) {
        throw new ModelUnavailableError(
          'malformed',
          `route ${JSON.stringify(answer.route.slice(0, 60))} is not a configured route`,
        );
      }
      decision.route = routeDecision(route);
    } else {
      decision.reasons[0] = `${decided}: no configured route fits`;
    }
    if (answer.question) decision.question = answer.question;
    return decision;
  }

  async #fallBack(input: TriageInput, failure: ModelUnavailableError): Promise<TriageDecision> {
    const { model } = this.#options;
    this.#logger.warn('triage model gave no usable answer; the rules decide', {
      workItemId: input.item.id,
      model: model.name,
      kind: failure.kind,
      detail: failure.detail,
    });
    const decision = await this.#fallback.triage(input);
    const what = failure.kind === 'malformed' ? 'answer unusable' : 'unavailable';
    return {
      ...decision,
      reasons: [`model ${what} (${failure.detail}); fell back to rules`, ...decision.reasons],
    };
  }

  async #readDurable(key: string): Promise<TriageDecision | undefined> {
    const { cache, routes } = this.#options;
    if (!cache) return undefined;
    try {
      const parsed = cachedDecisionSchema.safeParse(await cache.get(key));
      if (!parsed.success) return undefined;
      const decision = parsed.data as TriageDecision;
      if (decision.route && !routes.some((route) => route.name === decision.route?.name)) return undefined;
      await this.#memory.set(key, decision);
      return decision;
    } catch (error) {
      this.#logger.warn('triage cache read failed; asking the model', { error: errorName(error) });
      return undefined;
    }
  }

  async #writeDurable(key: string, decision: TriageDecision): Promise<void> {
    try {
      await this.#options.cache?.set(key, decision);
    } catch (error) {
      this.#logger.warn('triage cache write failed', { error: errorName(error) });
    }
  }
}

/** Only the error's class: a cache's message may quote a connection string. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
