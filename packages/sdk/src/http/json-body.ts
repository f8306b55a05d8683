import { mediaTypeOf, readBodyCapped, utf8Text } from './read-body.ts';

/** The cap of an admin API body: one tenant's config, with room to spare. */
export const JSON_MAX_BYTES = 64 * 1024;

/** Why a JSON body was not read: the status to answer and a sentence for the client. */
export interface JsonRefusal {
  status: 400 | 413 | 415;
  error: string;
}

/**
 * Reads an `application/json` body of at most `limit` bytes and parses it. Any other media type is
 * refused (415) unread. With `optional`, a request without a body (and without a content type), or a
 * JSON one that is empty, gives `undefined`.
 */
export async function readJsonCapped(
  request: Request,
  options: { limit?: number; optional?: boolean } = {},
): Promise<{ value: unknown } | JsonRefusal> {
  const limit = options.limit ?? JSON_MAX_BYTES;
  const mediaType = mediaTypeOf(request);
  if (options.optional && mediaType === '' && request.body === null) return { value: undefined };
  if (mediaType !== 'application/json')
    return {
      status: 415,
      error: `unsupported content type "${mediaType || 'none'}"; expected application/json`,
    };
  const bytes = await readBodyCapped(request, limit);
  if (bytes === 'too-large') return { status: 413, error: `body larger than ${limit} bytes` };
  const text = utf8Text(bytes);
  if (text === undefined) return { status: 400, error: 'body is not valid UTF-8' };
  if (options.optional && text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    // Not the parser's message: it quotes the body, which may hold a secret.
    return { status: 400, error: 'body is not valid JSON' };
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
