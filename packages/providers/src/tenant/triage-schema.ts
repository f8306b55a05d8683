import { llmTriageConfigSchema, rulesTriageConfigSchema } from '@software-factory/llm-triage/config';
import * as z from 'zod';
import { unionMessage } from '../registry/role-schema.ts';
import { type SecretResolver, secretReference } from '../registry/secrets.ts';

/** `@software-factory/llm-triage`'s own schema; only the API key is narrowed to a `${ENV_VAR}` reference. */
export function triageSchema(secrets: SecretResolver) {
  return z
    .discriminatedUnion(
      'type',
      [
        rulesTriageConfigSchema,
        llmTriageConfigSchema.extend({ apiKey: secretReference(secrets, 'ANTHROPIC_API_KEY') }).strict(),
      ],
      { error: (issue) => unionMessage(issue, 'type', ['rules', 'llm']) },
    )
    .default({ type: 'rules' })
    .describe('How work items are triaged: by the routes’ rules, or by a model that reads them.');
}
