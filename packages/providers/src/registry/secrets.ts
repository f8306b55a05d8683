// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { parseSecretReference, type SecretReference, secretReferencesIn } from '@software-factory/sdk';
import * as z from 'zod/mini';

/** Where `${NAME}` references are resolved: the process environment, Worker bindings, or a fixed map in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Resolves the secret references of a config while it is parsed, and remembers every value it handed out
 * so logs can redact them. `${NAME}` is read from `env`; a store reference (`${ssm:…}`, `${secretsmanager:…}`)
 * only from `stored`, the values the platform read beforehand (see `SecretResolver.withStore`): parsing is
 * synchronous, reading a secret store is not.
 */
export class SecretResolver {
  readonly #env: Environment;
  readonly #stored: ReadonlyMap<string, string>;
  readonly values = new Set<string>();
  /**
   * Whether a token left out of the config defaults to its usual variable (`LINEAR_API_KEY`). Not for a
   * tenant added through the admin API: the deployment's variables are not its tokens, so a token it
   * leaves out comes from its own sign-in (or it is needs-auth), never from another tenant's variable.
   */
  readonly tokenDefaults: boolean;
  readonly #standIn: ((value: string) => boolean) | undefined;

  constructor(
    env: Environment,
    stored: ReadonlyMap<string, string> = new Map(),
    options: {
      tokenDefaults?: boolean;
      /**
       * Tells a value put in for a reference while the config is only checked (`factory deploy`, which
       * resolves nothing): a field's format (a PEM key, a number) is checked where the value is real.
       */
      standIn?: (value: string) => boolean;
    } = {},
  ) {
    this.#env = env;
    this.#stored = stored;
    this.tokenDefaults = options.tokenDefaults ?? true;
    this.#standIn = options.standIn;
  }

  /** True when `value` stands in for a reference not resolved here (see the constructor's `standIn`). */
  standsIn(value: string): boolean {
    return this.#standIn?.(value) ?? false;
  }

  /**
   * A resolver for `config` on a platform with a secret store: every store reference in it is read once
   * through `read` (which names the reference, never a value, when it fails), `${NAME}` from `env`.
   */
  static async withStore(
    config: unknown,
    env: Environment,
    read: (reference: SecretReference) => Promise<string>,
    options: { tokenDefaults?: boolean } = {},
  ): Promise<SecretResolver> {
    const stored = new Map<string, string>();
    for (const reference of secretReferencesIn(config))
      if (reference.scheme !== undefined) stored.set(reference.text, await read(reference));
    return new SecretResolver(env, stored, options);
  }

  /** The value of the environment variable `name` (recorded as a secret), or undefined. */
  resolve(name: string): string | undefined {
    const value = this.#env[name];
    if (value) this.values.add(value);
    return value;
  }

  /** A variable that is not a secret (an OAuth client id): read, not recorded. */
  read(name: string): string | undefined {
    const value = this.#env[name];
    return value === '' ? undefined : value;
  }

  /** The value of a reference, or why there is none (in words that name the reference, never a value). */
  lookup(reference: SecretReference): { value: string } | { problem: string } {
    if (reference.scheme === undefined) {
      const value = this.resolve(reference.locator);
      if (value === undefined || value === '')
        return {
          problem: `environment variable ${reference.locator} is ${value === undefined ? 'not set' : 'empty'}`,
        };
      return { value };
    }
    const value = this.#stored.get(reference.text);
    if (value === undefined || value === '')
      return {
        problem: `${reference.text} names the secret store "${reference.scheme}", which is read where the factory is deployed; here, write \${NAME} and set that variable`,
      };
    this.values.add(value);
    return { value };
  }
}

/**
 * What a reference looks like: `${NAME}` (an environment variable, a Worker binding) or `${scheme:locator}`
 * (a secret store the platform reads, e.g. `${ssm:/factory/acme/linear}`); the same two forms the core's
 * `parseSecretReference` reads, as a pattern for editors' JSON Schema.
 */
const REFERENCE = /^\$\{(?:[A-Za-z_][A-Za-z0-9_]*|[a-z][a-z0-9-]*:[^{}\s]+)\}$/;

/**
 * A secret field: only a reference is accepted (`${ENV_VAR}`, or a store reference where the platform has
 * one), resolved through `secrets` at load time. Messages never repeat what was written, because a literal
 * in a secret field is most likely the secret itself.
 */
export function secretReference(secrets: SecretResolver, example: string) {
  const hint = `write a reference to an environment variable such as \${${example}}`;
  return z.pipe(
    z.string({ error: `expected a reference to an environment variable such as \${${example}}` }).check(
      z.meta({
        description: `#secret-reference \${${example}}.`,
        examples: [`\${${example}}`],
      }),
      z.regex(REFERENCE, {
        error: `is a secret and takes no literal value: ${hint} and set that variable in the environment`,
      }),
    ),
    z.transform((text, context) => {
      const found = secrets.lookup(parseSecretReference(text) as SecretReference);
      if ('problem' in found) {
        context.issues.push({ code: 'custom', message: found.problem, input: text });
        return z.NEVER;
      }
      return found.value;
    }),
  );
}

/**
 * A secret field with a default reference: written, it is a reference like any other; left out, it is
 * `${env}` when that variable is set, and absent otherwise (a token then comes from the credentials store,
 * a webhook secret is asked for by the commands that run work). An unset default is not an error: the
 * config stays usable for `factory check` and `factory connect`.
 */
export function defaultedSecret(
  secrets: SecretResolver,
  env: string,
  description: string,
  kind: 'token' | 'webhook-secret' = 'webhook-secret',
) {
  return z
    .pipe(
      z.optional(secretReference(secrets, env)),
      z.transform((value) => {
        if (value !== undefined) return value;
        if (kind === 'token' && !secrets.tokenDefaults) return undefined;
        return secrets.resolve(env) || undefined;
      }),
    )
    .check(z.describe(`${description} Default: \${${env}} when that variable is set.`));
}
