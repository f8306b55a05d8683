import { errorMessage } from '@software-factory/sdk';
/**
 * Everything this package prints, logs or throws goes through `redact()` first: a token in a terminal
 * scrollback or a CI log is a leaked token. Two layers, because neither alone is enough:
 * the secrets a flow knows it handled (the verifier, the code, the tokens it received) are replaced
 * wherever they appear, and well-known secret shapes (vendor token prefixes, `Bearer …`,
 * `code=…` / `"access_token": "…"` fields) are masked even when nobody registered them.
 */

export const REDACTED = '[redacted]';

/** Query, form and JSON field names whose values are secrets in OAuth traffic. */
const SECRET_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'device_code',
  'token',
  'sessionToken',
  'session_token',
  'password',
  'passphrase',
  'client_assertion',
];

const FIELD_GROUP = SECRET_FIELDS.join('|');
/** `code=abc`, `&refresh_token=abc` in URLs and form bodies. */
const FORM_FIELD = new RegExp(`(^|[?&\\s;,(])(${FIELD_GROUP})=([^&\\s"'<>)]+)`, 'g');
/** `"access_token": "abc"` in JSON bodies quoted inside error messages. */
const JSON_FIELD = new RegExp(`("(?:${FIELD_GROUP})"\\s*:\\s*)"[^"]*"`, 'g');

/** Token shapes of the vendors we connect, masked even when nobody registered the value. */
const TOKEN_SHAPES: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{16,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{16,}/g,
  /\bxox[abeprs]-[A-Za-z0-9-]{6,}/g,
  /\blin_(?:api|oauth)_[A-Za-z0-9]{12,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi,
];

/** Values shorter than this are not treated as secrets: replacing "a" everywhere would garble text. */
const MIN_SECRET_LENGTH = 6;

/** `text` with every known secret and every secret-shaped value replaced by `[redacted]`. */
export function redact(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  const known = [...secrets]
    .filter((secret): secret is string => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH)
    // Longest first, so a secret that contains another is removed whole.
    .sort((a, b) => b.length - a.length);
  for (const secret of known) {
    out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  out = out.replace(FORM_FIELD, (_match, lead: string, name: string) => `${lead}${name}=${REDACTED}`);
  out = out.replace(JSON_FIELD, (_match, head: string) => `${head}"${REDACTED}"`);
  for (const shape of TOKEN_SHAPES) {
    out = out.replace(shape, (_match, scheme?: string | number) =>
      typeof scheme === 'string' && /^(bearer|basic)$/i.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/**
 * The secrets one flow has handled so far. Everything the flow prints, logs or throws goes through
 * `text()` so that a value registered at any step is masked in every later message.
 */
export class SecretSet {
  readonly #secrets = new Set<string>();

  add(...secrets: Array<string | undefined>): void {
    for (const secret of secrets) if (secret) this.#secrets.add(secret);
  }

  text(value: string): string {
    return redact(value, this.#secrets);
  }

  /** A printer that can be handed to code that must never print a secret. */
  printer(print: (message: string) => void): (message: string) => void {
    return (message) => print(this.text(message));
  }
}

/** The message of any thrown value, redacted. Causes are dropped: they often hold a raw response body. */
export function redactedMessage(error: unknown, secrets: Iterable<string | undefined> = []): string {
  const message = errorMessage(error);
  return redact(message, secrets);
}
