// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages show ${…} references as they are written.
import {
  errorMessage,
  parseSecretReference,
  resolveSecretReferences,
  type SecretReference,
} from '@software-factory/sdk';
import { AwsJsonClient, SECRETS_MANAGER, SSM } from './aws-json-client.ts';

/**
 * Where a deployment's secret references point on AWS, and how they are read:
 *
 * | reference                                     | read from                                                     |
 * | --------------------------------------------- | ------------------------------------------------------------- |
 * | `${NAME}`                                     | the function's environment variable `NAME`                     |
 * | `${ssm:/factory/acme/linear-api-key}`         | SSM Parameter Store, `GetParameter` with decryption (a SecureString, or a String) |
 * | `${secretsmanager:factory/acme}`              | Secrets Manager, `GetSecretValue`: the whole SecretString       |
 * | `${secretsmanager:factory/acme#LINEAR_API_KEY}` | the same, one key of the SecretString read as a JSON object   |
 *
 * A parameter name may be a path (`/a/b`), a plain name, an ARN, and carry a `:version` or `:label`
 * selector as `GetParameter` takes it; a secret id may be a name or an ARN. `factory deploy aws` grants
 * the functions `ssm:GetParameter` / `secretsmanager:GetSecretValue` on exactly these.
 */
export type AwsSecretSource =
  | { kind: 'environment'; name: string }
  | { kind: 'ssm'; name: string }
  | { kind: 'secretsmanager'; secretId: string; key?: string };

export const AWS_SECRET_SCHEMES = ['ssm', 'secretsmanager'] as const;

/** A reference the runtime cannot resolve; the message names the reference, never a value. */
export class PlatformSecretError extends Error {
  readonly reference: string;

  constructor(reference: string, message: string, options?: { cause?: unknown }) {
    super(`secret ${reference}: ${message}`, options);
    this.name = 'PlatformSecretError';
    this.reference = reference;
  }
}

/** What a reference points at on AWS; throws PlatformSecretError for a scheme AWS does not have. */
export function awsSecretSource(reference: SecretReference | string): AwsSecretSource {
  const parsed = typeof reference === 'string' ? parseSecretReference(reference) : reference;
  if (!parsed) throw new PlatformSecretError(String(reference), 'is not a reference such as ${NAME}');
  if (parsed.scheme === undefined) return { kind: 'environment', name: parsed.locator };
  if (parsed.scheme === 'ssm') return { kind: 'ssm', name: parsed.locator };
  if (parsed.scheme === 'secretsmanager') {
    const hash = parsed.locator.lastIndexOf('#');
    if (hash === -1) return { kind: 'secretsmanager', secretId: parsed.locator };
    const secretId = parsed.locator.slice(0, hash);
    const key = parsed.locator.slice(hash + 1);
    if (!secretId || !key)
      throw new PlatformSecretError(parsed.text, 'expected ${secretsmanager:<secret id>#<key>}');
    return { kind: 'secretsmanager', secretId, key };
  }
  throw new PlatformSecretError(
    parsed.text,
    `unknown store "${parsed.scheme}" (on AWS: \${NAME}, \${ssm:<parameter>}, \${secretsmanager:<secret id>[#<key>]})`,
  );
}

export interface AwsPlatformSecretsOptions {
  /** The function's environment, for `${NAME}`; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Made on first use, reading the region, credentials and AWS_ENDPOINT_URL_SECRETS_MANAGER from
   * `process.env` (a signed client, not the SDK: see `AwsJsonClient`).
   */
  secretsManager?: AwsJsonClient;
  /** Made on first use, reading the region, credentials and AWS_ENDPOINT_URL_SSM from `process.env`. */
  ssm?: AwsJsonClient;
}

/**
 * Resolves secret references for one Lambda instance. Each parameter and each secret is read once and
 * kept for the instance's life (a Secrets Manager secret once however many of its keys are used); a
 * failed read is not kept, so the next invocation tries again. Rotating a secret therefore reaches
 * new instances, not running ones.
 */
export class AwsPlatformSecrets {
  readonly #env: Readonly<Record<string, string | undefined>>;
  #secretsManager: AwsJsonClient | undefined;
  #ssm: AwsJsonClient | undefined;
  readonly #reads = new Map<string, Promise<string>>();

  constructor(options: AwsPlatformSecretsOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#secretsManager = options.secretsManager;
    this.#ssm = options.ssm;
  }

  /** The value of one reference. */
  async resolve(reference: SecretReference | string): Promise<string> {
    const text = typeof reference === 'string' ? reference : reference.text;
    const source = awsSecretSource(reference);
    switch (source.kind) {
      case 'environment': {
        const value = this.#env[source.name];
        if (value === undefined || value === '')
          throw new PlatformSecretError(
            text,
            `the function's environment variable ${source.name} is ${value === undefined ? 'not set' : 'empty'}`,
          );
        return value;
      }
      case 'ssm':
        return nonEmpty(
          text,
          await this.#once(`ssm ${source.name}`, () => this.#parameter(text, source.name)),
        );
      case 'secretsmanager': {
        const secret = await this.#once(`secretsmanager ${source.secretId}`, () =>
          this.#secret(text, source.secretId),
        );
        return nonEmpty(text, source.key === undefined ? secret : keyOf(text, secret, source.key));
      }
    }
  }

  /** A copy of `value` with every reference among its strings replaced by its value. */
  resolveAll<T>(value: T): Promise<T> {
    return resolveSecretReferences(value, (reference) => this.resolve(reference));
  }

  #once(key: string, read: () => Promise<string>): Promise<string> {
    let pending = this.#reads.get(key);
    if (!pending) {
      pending = read();
      this.#reads.set(key, pending);
      pending.catch(() => this.#reads.delete(key));
    }
    return pending;
  }

  async #parameter(reference: string, name: string): Promise<string> {
    this.#ssm ??= new AwsJsonClient(SSM);
    try {
      const { Parameter } = await this.#ssm.call<{ Parameter?: { Value?: unknown } }>('GetParameter', {
        Name: name,
        WithDecryption: true,
      });
      if (typeof Parameter?.Value !== 'string')
        throw new PlatformSecretError(reference, 'SSM answered without a value');
      return Parameter.Value;
    } catch (error) {
      throw readError(reference, 'SSM GetParameter', error);
    }
  }

  async #secret(reference: string, secretId: string): Promise<string> {
    this.#secretsManager ??= new AwsJsonClient(SECRETS_MANAGER);
    try {
      const answer = await this.#secretsManager.call<{ SecretString?: unknown }>('GetSecretValue', {
        SecretId: secretId,
      });
      if (typeof answer.SecretString !== 'string')
        throw new PlatformSecretError(
          reference,
          'the secret has no SecretString (a binary secret cannot be used here)',
        );
      return answer.SecretString;
    } catch (error) {
      throw readError(reference, 'Secrets Manager GetSecretValue', error);
    }
  }
}

/** The instance's resolver, made on first use: what the generated handler calls. */
let shared: AwsPlatformSecrets | undefined;

/** `resolveAll` on one resolver per Lambda instance (so per cold start), with the default clients. */
export function resolveAwsSecrets<T>(value: T): Promise<T> {
  shared ??= new AwsPlatformSecrets();
  return shared.resolveAll(value);
}

/** One reference through the instance's resolver: how a tenant added through the admin API reads its secrets. */
export function readAwsSecret(reference: SecretReference | string): Promise<string> {
  shared ??= new AwsPlatformSecrets();
  return shared.resolve(reference);
}

function keyOf(reference: string, secret: string, key: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new PlatformSecretError(reference, `the secret is not a JSON object, so it has no key ${key}`);
  }
  const value = (parsed as Record<string, unknown> | null)?.[key];
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || value === undefined)
    throw new PlatformSecretError(reference, `the secret has no key ${key}`);
  if (typeof value !== 'string') throw new PlatformSecretError(reference, `the key ${key} is not a string`);
  return value;
}

function nonEmpty(reference: string, value: string): string {
  if (value === '') throw new PlatformSecretError(reference, 'the value is empty');
  return value;
}

/** The service's error name and message (which name the parameter or secret, never its value). */
function readError(reference: string, operation: string, error: unknown): PlatformSecretError {
  if (error instanceof PlatformSecretError) return error;
  const name = (error as { name?: unknown })?.name;
  const message = errorMessage(error);
  const named = typeof name === 'string' && name !== 'Error' ? name : undefined;
  // AWS sends some errors (SSM's ParameterNotFound) with an empty message (the SDK said UnknownError).
  const detail =
    named && (message === '' || message === 'UnknownError')
      ? named
      : named
        ? `${named}: ${message}`
        : message;
  return new PlatformSecretError(reference, `${operation} failed: ${detail}`, { cause: error });
}
