import { resolveSecretReferences, type SecretReference } from '@software-factory/sdk';
import { FactoryConfigError } from './factory-worker.ts';

/**
 * Resolves a deployment's secret references on Workers, where secrets are env bindings: `${NAME}` is the
 * Worker secret (or var) `NAME`. There is no secret store to name with `${scheme:…}` here; such a
 * reference is a misconfiguration. Errors name the binding, never a value.
 */
export function resolveWorkerSecrets<T>(value: T, env: object): Promise<T> {
  const bindings = env as Record<string, unknown>;
  return resolveSecretReferences(value, async (reference: SecretReference) => {
    if (reference.scheme !== undefined)
      throw new FactoryConfigError(
        `secret ${reference.text}: a Worker reads its secrets from its own bindings; write \${NAME} and set it with \`wrangler secret put NAME\``,
      );
    const found = bindings[reference.locator];
    if (typeof found !== 'string' || found === '')
      throw new FactoryConfigError(
        `secret ${reference.text}: the Worker secret ${reference.locator} is ${found === undefined ? 'not set' : typeof found !== 'string' ? 'not a text binding' : 'empty'} (\`wrangler secret put ${reference.locator}\`)`,
      );
    return found;
  });
}

/** The Worker's text bindings (secrets and vars) by name: the environment `${NAME}` references read. */
export function workerVariables(env: object): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') variables[name] = value;
  return variables;
}
