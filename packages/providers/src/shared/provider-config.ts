import type { ConnectionStatus } from '@software-factory/sdk';
import { missingScopes } from '@software-factory/sdk';
import type * as z from 'zod/mini';

/** Validates a provider's config, throwing one error that names every bad field. */
export function parseConfig<S extends z.ZodMiniType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new Error(`invalid ${what} config: ${problems.join('; ')}`);
}

/** The connection status once the vendor has told us who we are and (maybe) which scopes we hold. */
export function scopeStatus(
  identity: string,
  required: readonly string[],
  granted: readonly string[] | undefined,
): ConnectionStatus {
  if (granted === undefined) return { state: 'connected', identity };
  const missing = missingScopes(required, granted);
  if (missing.length > 0) return { state: 'missing-scopes', missing, identity, grantedScopes: [...granted] };
  return { state: 'connected', identity, grantedScopes: [...granted] };
}
