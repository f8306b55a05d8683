import { llmTriageConfigSchema, rulesTriageConfigSchema } from '@software-factory/llm-triage/config';
import * as z from 'zod/mini';
import { unionMessage } from '../registry/role-schema.ts';
import { type SecretResolver, secretReference } from '../registry/secrets.ts';

/** `@software-factory/llm-triage`'s own schema; only the API key is narrowed to a `${ENV_VAR}` reference. */
export function triageSchema(secrets: SecretResolver) {
  return z
    ._default(
      z.discriminatedUnion(
        'type',
        [
          rulesTriageConfigSchema,
          z.strictObject(
            z.extend(llmTriageConfigSchema, { apiKey: secretReference(secrets, 'ANTHROPIC_API_KEY') }).shape,
          ),
        ],
        { error: (issue) => unionMessage(issue, 'type', ['rules', 'llm']) },
      ),
      { type: 'rules' },
    )
    .check(z.describe('#triage'));
}
