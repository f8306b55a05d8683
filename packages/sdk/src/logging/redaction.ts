import type { LogFields } from '../ports/logger.ts';

/** A field whose name says it holds a credential; its value never reaches a log. */
export const SECRET_FIELD =
  /token|secret|password|passwd|authorization|api[-_]?key|cookie|credential|private[-_]?key/i;
export const REDACTED = '[redacted]';
/** Shorter values are too likely to occur by chance in an innocent line to be scrubbed from it. */
const MIN_SECRET_LENGTH = 4;
/** How deep nested fields are walked; deeper values are dropped rather than risk printing a credential. */
const MAX_DEPTH = 8;

/**
 * What a log line must not say: the values of secret-named fields, anywhere in the fields, and the
 * known secret values (the config's resolved tokens), wherever they occur in the finished text.
 */
export class Redactor {
  /** The secrets, longest first, so a secret that contains another is scrubbed whole. */
  #secrets: string[] = [];
  readonly #known = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    this.addSecrets(secrets);
  }

  /** Adds values learnt later (a Lambda resolves its secrets at its first invocation). */
  addSecrets(values: Iterable<string>): void {
    const before = this.#known.size;
    for (const value of values)
      if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) this.#known.add(value);
    // Taught on every token read (a signed-in token): mostly what it knows already, which costs a lookup.
    if (this.#known.size === before) return;
    this.#secrets = [...this.#known].sort((a, b) => b.length - a.length);
  }

  /** The fields with every secret-named value replaced, errors as `{name, message}`, and secrets scrubbed. */
  fields(fields: LogFields): LogFields {
    return redactValue(fields, 0, this) as LogFields;
  }

  /** The text with every known secret value replaced; `escaped` when the text is JSON (the value as JSON writes it). */
  text(text: string, escaped = false): string {
    let scrubbed = text;
    for (const secret of this.#secrets) {
      const needle = escaped ? JSON.stringify(secret).slice(1, -1) : secret;
      if (scrubbed.includes(needle)) scrubbed = scrubbed.replaceAll(needle, REDACTED);
    }
    return scrubbed;
  }
}

function redactValue(value: unknown, depth: number, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor.text(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) return { name: value.name, message: redactor.text(value.message) };
  if (Array.isArray(value)) return value.map((entry) => redactValue(entry, depth + 1, redactor));
  if (value instanceof Date) return value.toISOString();
  const copy: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    copy[key] =
      SECRET_FIELD.test(key) && entry !== undefined && entry !== null
        ? REDACTED
        : redactValue(entry, depth + 1, redactor);
  }
  return copy;
}
