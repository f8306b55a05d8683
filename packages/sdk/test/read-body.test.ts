import { describe, expect, it } from 'vitest';
import { readBodyCapped } from '../src/index.ts';

const CAP = 1024;

/** A request whose body streams `chunks` chunks of 256 bytes, counting how many were pulled. */
function streamed(chunks: number, headers: Record<string, string>) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled += 1;
      controller.enqueue(new Uint8Array(256).fill(97));
    },
  });
  const request = new Request('http://factory.test/t/acme/webhooks/test', {
    method: 'POST',
    headers,
    body,
    duplex: 'half',
  } as RequestInit);
  return { request, pulled: () => pulled };
}

describe('readBodyCapped: never more than the cap', () => {
  it('reads a body its runtime frames (framed) whole when it declares a length within the cap', async () => {
    const request = new Request('http://factory.test/', {
      method: 'POST',
      headers: { 'content-length': '11' },
      body: 'hello world',
    });
    expect(
      new TextDecoder().decode((await readBodyCapped(request, CAP, { framed: true })) as Uint8Array),
    ).toBe('hello world');
  });

  it("reads an adapter's own Request (framed, within the cap) whole, without asking it for a body stream", async () => {
    // As `@hono/node-server`'s Request: it reads the socket on arrayBuffer() and builds a stream for `body`.
    class AdapterRequest extends Request {
      override get body(): ReadableStream<Uint8Array<ArrayBuffer>> {
        throw new Error('the body stream was asked for');
      }
    }
    const request = new AdapterRequest('http://factory.test/', {
      method: 'POST',
      headers: { 'content-length': '11' },
      body: 'hello world',
    });
    const bytes = await readBodyCapped(request, CAP, { framed: true });
    expect(new TextDecoder().decode(bytes as Uint8Array)).toBe('hello world');
  });

  it("reads a platform Request's body from its stream, framed or not: its chunk is the bytes, not a copy", async () => {
    const request = new Request('http://factory.test/', {
      method: 'POST',
      headers: { 'content-length': '11' },
      body: 'hello world',
    });
    let copied = false;
    request.arrayBuffer = () => {
      copied = true;
      return Promise.reject(new Error('arrayBuffer() was called'));
    };
    const bytes = await readBodyCapped(request, CAP, { framed: true });
    expect(new TextDecoder().decode(bytes as Uint8Array)).toBe('hello world');
    expect(copied).toBe(false);
  });

  it('takes a framed body as whole once its declared length has arrived, without waiting for the stream to end', async () => {
    // The sender's connection stays open after its body: only the declared length says the body is in.
    // The stream is asked for more only if the reader reads again (no high-water mark to fill).
    let askedForMore = false;
    const open = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(new TextEncoder().encode('hello world'));
        },
        pull(controller) {
          askedForMore = true;
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const request = new Request('http://factory.test/', {
      method: 'POST',
      headers: { 'content-length': '11' },
      body: open,
      duplex: 'half',
    } as RequestInit);
    const bytes = await readBodyCapped(request, CAP, { framed: true });
    expect(new TextDecoder().decode(bytes as Uint8Array)).toBe('hello world');
    expect(askedForMore).toBe(false);
  });

  it('refuses a declared length over the cap before reading anything', async () => {
    const { request, pulled } = streamed(40, { 'content-length': String(CAP + 1) });
    expect(await readBodyCapped(request, CAP, { framed: true })).toBe('too-large');
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it('counts a stream that outgrows the length it declares, unless the runtime frames it: one chunk past the cap at most', async () => {
    const { request, pulled } = streamed(40, { 'content-length': '16' });
    expect(await readBodyCapped(request, CAP)).toBe('too-large');
    expect(pulled()).toBeLessThanOrEqual(CAP / 256 + 2);
  });

  it('takes a length that is not a whole decimal number (0x10, 1e3, -1, 12.5) as no length: the stream is counted', async () => {
    for (const junk of ['0x10', '1e3', '-1', '12.5', '']) {
      const { request, pulled } = streamed(40, { 'content-length': junk });
      expect(await readBodyCapped(request, CAP, { framed: true }), junk).toBe('too-large');
      expect(pulled(), junk).toBeLessThanOrEqual(CAP / 256 + 2);
    }
  });
});
