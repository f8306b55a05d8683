import { z } from 'zod';

/** Where `${NAME}` references are resolved: the process environment, or a fixed map in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Resolves references and remembers every secret value it handed out, so logs can redact them. */
export class SecretResolver {
  readonly #env: Environment;
  readonly values = new Set<string>();

  constructor(env: Environment) {
    this.#env = env;
  }

  resolve(name: string): string | undefined {
    const value = this.#env[name];
    if (value) this.values.add(value);
    return value;
  }
}

const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * A secret field: only a `${ENV_VAR}` reference is accepted, resolved through `secrets` at load time. Messages
 * never repeat what was written, because a literal in a secret field is most likely the secret itself.
 */
export function secretReference(secrets: SecretResolver, example: string) {
  const hint = `write a reference to an environment variable such as \${${example}}`;
  return z
    .string({ error: `expected a reference to an environment variable such as \${${example}}` })
    .meta({
      description: `A secret, given only as a reference to an environment variable, e.g. \${${example}}.`,
      examples: [`\${${example}}`],
    })
    .regex(REFERENCE, {
      error: `is a secret and takes no literal value: ${hint} and set that variable in the environment`,
    })
    .transform((reference, context) => {
      const name = REFERENCE.exec(reference)?.[1] as string;
      const value = secrets.resolve(name);
      if (value === undefined || value === '') {
        context.addIssue({
          code: 'custom',
          message: `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}`,
        });
        return z.NEVER;
      }
      return value;
    });
}
