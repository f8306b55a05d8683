/**
 * Secret references, as a deployment carries them: the config says where a secret is, never what it is,
 * and the platform the deployment runs on resolves the reference when the factory starts.
 *
 * - `${NAME}`: a variable of the platform's environment (a process or function environment variable,
 *   or a Worker secret binding);
 * - `${scheme:locator}`: a secret store the runtime knows by `scheme` (a lowercase word); what
 *   `locator` means is the runtime's business, e.g. a parameter path or a secret id with a key.
 *
 * Neither part is a secret, so a reference can be logged, shown in an error and embedded in an artifact.
 */
export interface SecretReference {
  /** The reference as written, e.g. `${LINEAR_API_KEY}`. */
  text: string;
  /** The secret store, or undefined for the platform's environment. */
  scheme: string | undefined;
  /** The variable name (no scheme), or what follows `scheme:`. */
  locator: string;
}

const ENVIRONMENT_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const STORE_REFERENCE = /^\$\{([a-z][a-z0-9-]*):([^{}\s]+)\}$/;

/** The reference `text` is, or undefined when it is not exactly one reference. */
export function parseSecretReference(text: string): SecretReference | undefined {
  const environment = ENVIRONMENT_REFERENCE.exec(text);
  if (environment) return { text, scheme: undefined, locator: environment[1] as string };
  const store = STORE_REFERENCE.exec(text);
  if (store) return { text, scheme: store[1] as string, locator: store[2] as string };
  return undefined;
}

/** Every distinct reference among the strings of a JSON-like value, in the order first met. */
export function secretReferencesIn(value: unknown): SecretReference[] {
  const found = new Map<string, SecretReference>();
  visitStrings(value, (text) => {
    const reference = parseSecretReference(text);
    if (reference && !found.has(reference.text)) found.set(reference.text, reference);
  });
  return [...found.values()];
}

/**
 * A copy of a JSON-like value with every string that is exactly a reference replaced by its value.
 * Each distinct reference is resolved once; the first failure rejects (with the resolver's error,
 * which must name the reference, never a value).
 */
export async function resolveSecretReferences<T>(
  value: T,
  resolve: (reference: SecretReference) => Promise<string>,
): Promise<T> {
  const references = secretReferencesIn(value);
  const values = new Map<string, string>();
  await Promise.all(
    references.map(async (reference) => {
      values.set(reference.text, await resolve(reference));
    }),
  );
  return mapStrings(value, (text) => values.get(text) ?? text) as T;
}

/**
 * The values a resolution put in place of references: every string of `resolved` where `template` had
 * a reference. What a logger must scrub from its lines (`JsonLineLogger.addSecrets`).
 */
export function resolvedSecretValues(template: unknown, resolved: unknown): string[] {
  const values = new Set<string>();
  const visit = (before: unknown, after: unknown): void => {
    if (typeof before === 'string') {
      if (typeof after === 'string' && after !== before && parseSecretReference(before)) values.add(after);
    } else if (Array.isArray(before) && Array.isArray(after)) {
      for (const [index, item] of before.entries()) visit(item, after[index]);
    } else if (isPlainObject(before) && isPlainObject(after)) {
      for (const [key, item] of Object.entries(before)) visit(item, after[key]);
    }
  };
  visit(template, resolved);
  return [...values];
}

function visitStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const item of value) visitStrings(item, visit);
  else if (isPlainObject(value)) for (const item of Object.values(value)) visitStrings(item, visit);
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
