import { llmTriageConfigSchema, rulesTriageConfigSchema } from '@software-factory/llm-triage';
import { z } from 'zod';
import { type SecretResolver, secretReference } from './secret-reference.ts';

/** `@software-factory/llm-triage`'s own schema; only the API key is narrowed to a `${ENV_VAR}` reference. */
export function triageSchema(secrets: SecretResolver) {
  return z
    .discriminatedUnion('type', [
      rulesTriageConfigSchema,
      llmTriageConfigSchema.extend({ apiKey: secretReference(secrets, 'ANTHROPIC_API_KEY') }).strict(),
    ])
    .default({ type: 'rules' })
    .describe('How work items are triaged: by the routes’ rules, or by a model that reads them.');
}
