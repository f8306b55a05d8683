import { readBodyCapped } from '@software-factory/sdk';
/** The most a response of the admin API may be; a tenant's config is a few KiB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The response's body as text, read as it arrives and abandoned past `limit` bytes: a deployment (or
 * whatever answers at that URL) cannot make the CLI hold more than that. `too-large` when it tried.
 */
export async function readTextCapped(
  response: Response,
  limit = MAX_RESPONSE_BYTES,
): Promise<string | 'too-large'> {
  const bytes = await readBodyCapped(response, limit);
  return bytes === 'too-large' ? bytes : new TextDecoder().decode(bytes);
}

/** True when the response says its body is JSON (`application/json`, `application/problem+json`…). */
export function isJsonResponse(response: Response): boolean {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}
