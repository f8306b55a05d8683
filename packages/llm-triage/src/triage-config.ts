import { durationSchema } from '@software-factory/sdk';
import * as z from 'zod/mini';

/** The model answers in a few hundred tokens; a larger budget only raises the worst-case bill. */
export const MAX_TOKENS_LIMIT = 8192;
/** Longer than any webhook sender waits; a triage that needs more is better replaced by the rules. */
export const TIMEOUT_LIMIT_MS = 120_000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where the model is served. Plain http is refused except on loopback (a local model server):
 * the API key travels in a header and must not cross a network in the clear.
 */
const baseUrlSchema = z.string().check(
  z.superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an absolute http(s) URL such as https://api.example.com',
      });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got the ${url.protocol} scheme` });
    } else if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        message: `plain http is only allowed to a loopback host; use https for ${url.hostname}`,
      });
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'credentials do not belong in the URL; use apiKey' });
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'expected a base URL without a query string or fragment' });
    }
  }),
);

export const rulesTriageConfigSchema = z.strictObject({
  /** Routing by the route's match rules; confidence from how complete the item reads. */
  type: z.literal('rules'),
});

export const llmTriageConfigSchema = z.strictObject({
  /** A model reads the item and decides; the rules answer whenever the model cannot. */
  type: z.literal('llm'),
  provider: z.enum(['anthropic', 'openai-compatible']),
  model: z.string().check(z.trim(), z.minLength(1)),
  /** Defaults to the vendor's public endpoint. For openai-compatible servers include the `/v1`. */
  baseUrl: z.optional(baseUrlSchema),
  /** Written as a `${ENV_VAR}` reference in the config file; the loader resolves it before use. */
  apiKey: z.string().check(z.minLength(1), z.meta({ secret: true })),
  /** How long one triage waits for the model before the rules answer instead. */
  timeout: z._default(
    z.pipe(
      durationSchema,
      z.int().check(z.minimum(1), z.maximum(TIMEOUT_LIMIT_MS, `at most ${TIMEOUT_LIMIT_MS} ms`)),
    ),
    8000,
  ),
  /** The answer's token budget (`max_tokens`). */
  maxTokens: z._default(z.int().check(z.minimum(64), z.maximum(MAX_TOKENS_LIMIT)), 1024),
  /** Decisions kept in memory, one per work item revision. */
  cacheSize: z._default(z.int().check(z.minimum(0), z.maximum(100_000)), 1000),
});

/** The `triage:` block of a tenant's config. */
export const triageConfigSchema = z.discriminatedUnion('type', [
  rulesTriageConfigSchema,
  llmTriageConfigSchema,
]);

export type TriageConfigInput = z.input<typeof triageConfigSchema>;
export type TriageConfig = z.output<typeof triageConfigSchema>;
export type LlmTriageConfig = z.output<typeof llmTriageConfigSchema>;
