import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignedRequest } from './vendor-payloads.ts';

export type Scheme = 'linear' | 'slack' | 'github';

/**
 * The least any receiver of this webhook must do: check its HMAC signature (node:crypto, constant-time
 * compare) and parse its JSON. Our cost is reported as a multiple of this.
 */
export function verifyAndParse(request: SignedRequest, scheme: Scheme, secret: string): unknown {
  const signed =
    scheme === 'slack' ? `v0:${request.headers['x-slack-request-timestamp']}:${request.body}` : request.body;
  const digest = createHmac('sha256', secret).update(signed).digest('hex');
  const expected = scheme === 'linear' ? digest : scheme === 'slack' ? `v0=${digest}` : `sha256=${digest}`;
  const received =
    request.headers[
      scheme === 'linear'
        ? 'linear-signature'
        : scheme === 'slack'
          ? 'x-slack-signature'
          : 'x-hub-signature-256'
    ] ?? '';
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new Error('floor: the signature does not verify');
  return JSON.parse(request.body);
}

/** CPU and wall time per call of `work`, from a batch (one call is below the clocks' resolution). */
export async function perCall(
  work: () => unknown | Promise<unknown>,
  options: { warmup: number; calls: number },
): Promise<{ cpuMicros: number; wallMs: number }> {
  for (let i = 0; i < options.warmup; i++) await work();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < options.calls; i++) await work();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / options.calls, wallMs: wallMs / options.calls };
}
