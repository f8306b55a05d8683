/**
 * The one way a body is read: never more than a cap. The declared Content-Length is checked first; then
 * the stream is counted as it arrives and abandoned as soon as it passes the cap (a request whose length
 * the runtime frames is read whole: `framed`), so a stranger's body
 * (a request to the app, or an answer to one of its calls) costs at most `limit` bytes of memory
 * whatever it claims or sends.
 */
export async function readBodyCapped(
  message: Request | Response,
  limit: number,
  options: { framed?: boolean } = {},
): Promise<Uint8Array | 'too-large'> {
  const header = message.headers.get('content-length');
  const declared = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : Number.NaN;
  if (Number.isFinite(declared) && declared > limit) {
    await message.body?.cancel().catch(() => {});
    return 'too-large';
  }
  // The length the runtime frames the body by, when it does (-1 otherwise): the bytes are then whole
  // once that many have arrived.
  const framedLength =
    options.framed && Number.isFinite(declared) && !message.headers.has('content-encoding') ? declared : -1;
  if (
    framedLength !== -1 &&
    message instanceof Request &&
    Object.getPrototypeOf(message) !== Request.prototype
  ) {
    // The runtime frames the body by its declared length (the caller says so: Node's parser and workerd
    // read exactly that many bytes), so a body declared within the cap is read whole, where an adapter's
    // own Request reads it fastest (`@hono/node-server`'s reads the socket on `arrayBuffer()`, and would
    // build a web stream to hand out `body`). Counted again all the same. A platform Request has its
    // body as a stream already: its chunks below are the bytes themselves, where `arrayBuffer()` copies
    // them into a new buffer (ten times the CPU for a 25 KB body in Node's undici).
    const whole = new Uint8Array(await message.arrayBuffer());
    return whole.byteLength > limit ? 'too-large' : whole;
  }
  if (!message.body) return new Uint8Array();
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return 'too-large';
    }
    chunks.push(value);
    // Whole: no need to wait another turn for the stream to say it is done.
    if (size === framedLength) break;
  }
  // A body that arrived whole (one chunk) is already the bytes: no second buffer to copy them into.
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Why a form was not read: the status to answer and a sentence for the client. */
export interface FormRefusal {
  status: 400 | 413 | 415;
  error: string;
}

/** The cap of the dashboard's forms (login, logout): a token and nothing else. */
export const FORM_MAX_BYTES = 4 * 1024;

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes, parsed from the capped
 * bytes (no body at all is an empty form). Multipart and any other type are refused (415) unread.
 */
export async function readFormCapped(
  request: Request,
  limit = FORM_MAX_BYTES,
): Promise<URLSearchParams | FormRefusal> {
  const mediaType = mediaTypeOf(request);
  if (mediaType === '' && request.body === null) return new URLSearchParams();
  if (mediaType !== 'application/x-www-form-urlencoded')
    return {
      status: 415,
      error: `unsupported content type "${mediaType || 'none'}"; expected application/x-www-form-urlencoded`,
    };
  const bytes = await readBodyCapped(request, limit);
  if (bytes === 'too-large') return { status: 413, error: `body larger than ${limit} bytes` };
  const text = utf8Text(bytes);
  if (text === undefined) return { status: 400, error: 'body is not valid UTF-8' };
  return new URLSearchParams(text);
}

/** One strict decoder for every body: a decoder is reusable, and building one per request costs. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text; undefined when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The request's media type without parameters, lower case; '' when absent. */
export function mediaTypeOf(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
