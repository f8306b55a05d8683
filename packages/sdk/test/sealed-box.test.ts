import { describe, expect, it } from 'vitest';
import { isSealedValue, SealError, SealedBox } from '../src/crypto/sealed-box.ts';

const HEX_KEY = 'a1'.repeat(32);
const BASE64_KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)));
const CONTEXT = ['credential', 'acme', 'tracker'];

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 256);
}

describe('SealedBox', () => {
  it('opens what it sealed, for the same context', async () => {
    const box = await SealedBox.fromSecret(HEX_KEY);
    const sealed = await box.seal('the token ✓', CONTEXT);
    expect(isSealedValue(sealed)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain('the token');
    await expect(box.open(sealed, CONTEXT)).resolves.toBe('the token ✓');
  });

  it('opens a value that went through JSON, as a stored one does', async () => {
    const box = await SealedBox.fromKey(bytes(32, 1));
    const stored: unknown = JSON.parse(JSON.stringify(await box.seal('{"a":1}', CONTEXT)));
    await expect(box.open(stored, CONTEXT)).resolves.toBe('{"a":1}');
  });

  it('seals one text twice to two different values (a fresh IV each time)', async () => {
    const box = await SealedBox.fromSecret(BASE64_KEY);
    const first = await box.seal('same', CONTEXT);
    const second = await box.seal('same', CONTEXT);
    expect(first.iv).not.toBe(second.iv);
    expect(first.data).not.toBe(second.data);
  });

  it('refuses to open with another key', async () => {
    const sealed = await (await SealedBox.fromKey(bytes(32, 1))).seal('secret', CONTEXT);
    const other = await SealedBox.fromKey(bytes(32, 2));
    await expect(other.open(sealed, CONTEXT)).rejects.toThrow(SealError);
    await expect(other.open(sealed, CONTEXT)).rejects.toThrow(
      'does not decrypt: sealed for another context or with another key',
    );
  });

  it('refuses to open for another context: another tenant, another provider, or a shifted split', async () => {
    const box = await SealedBox.fromSecret(HEX_KEY);
    const sealed = await box.seal('secret', ['credential', 'acme', 'tracker']);
    for (const context of [
      ['credential', 'globex', 'tracker'],
      ['credential', 'acme', 'chat'],
      ['credential', 'acme,tracker'],
      ['credential', 'acme', 'tracker', ''],
      [],
    ]) {
      await expect(box.open(sealed, context)).rejects.toThrow(SealError);
    }
  });

  it('refuses data that was tampered with', async () => {
    const box = await SealedBox.fromSecret(HEX_KEY);
    const sealed = await box.seal('secret value', CONTEXT);
    const flipped = sealed.data.startsWith('A') ? `B${sealed.data.slice(1)}` : `A${sealed.data.slice(1)}`;
    await expect(box.open({ ...sealed, data: flipped }, CONTEXT)).rejects.toThrow(SealError);
    const otherIv = sealed.iv.startsWith('A') ? `B${sealed.iv.slice(1)}` : `A${sealed.iv.slice(1)}`;
    await expect(box.open({ ...sealed, iv: otherIv }, CONTEXT)).rejects.toThrow(SealError);
    await expect(box.open({ ...sealed, data: sealed.data.slice(0, -4) }, CONTEXT)).rejects.toThrow(SealError);
  });

  it('refuses values that are not sealed values', async () => {
    const box = await SealedBox.fromSecret(HEX_KEY);
    const sealed = await box.seal('secret', CONTEXT);
    for (const value of [
      undefined,
      null,
      'text',
      42,
      [],
      {},
      { ...sealed, v: 2 },
      { iv: sealed.iv, data: sealed.data },
      { ...sealed, iv: 'not base64!' },
      { ...sealed, iv: '' },
      { ...sealed, data: '' },
      { ...sealed, iv: 'AAAA' },
    ]) {
      await expect(box.open(value, CONTEXT)).rejects.toThrow(SealError);
    }
  });

  it('tells a sealed value by its shape', async () => {
    const sealed = await (await SealedBox.fromSecret(HEX_KEY)).seal('secret', CONTEXT);
    expect(isSealedValue(sealed)).toBe(true);
    expect(isSealedValue({ ...sealed, v: 2 })).toBe(false);
    expect(isSealedValue({ ...sealed, data: 'a+b/' })).toBe(false);
    expect(isSealedValue({ v: 1, iv: sealed.iv })).toBe(false);
    expect(isSealedValue(null)).toBe(false);
  });

  it('accepts a deployment key as hex, base64 or base64url, with a trailing newline', async () => {
    const key = bytes(32, 7);
    const hex = Array.from(key, (byte) => byte.toString(16).padStart(2, '0')).join('');
    const base64 = btoa(String.fromCharCode(...key));
    const base64url = base64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    const reference = await SealedBox.fromKey(key);
    const sealed = await reference.seal('same key', CONTEXT);
    for (const secret of [hex, hex.toUpperCase(), base64, base64url, `${base64}\n`]) {
      const box = await SealedBox.fromSecret(secret);
      await expect(box.open(sealed, CONTEXT)).resolves.toBe('same key');
    }
  });

  it('refuses a secret that is not a key of at least 32 bytes, without echoing it', async () => {
    const refused = [
      '',
      '   ',
      'correct horse battery staple',
      'ab'.repeat(31),
      `${'ab'.repeat(32)}a`,
      btoa('x'.repeat(31)),
      `${btoa('y'.repeat(32))}!`,
      'a passphrase: long enough, but words with spaces in between',
    ];
    for (const secret of refused) {
      const error = await SealedBox.fromSecret(secret).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, `accepted ${JSON.stringify(secret)}`).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain('openssl rand -base64 32');
      expect(message).toMatch(/hex/);
      if (secret.trim() !== '') expect(message).not.toContain(secret.trim());
    }
  });

  it('refuses key bytes shorter than 32', async () => {
    await expect(SealedBox.fromKey(bytes(31, 1))).rejects.toThrow(/at least 32/);
  });

  it('does not use the secret itself as the AES key (HKDF)', async () => {
    const key = bytes(32, 3);
    const sealed = await (await SealedBox.fromKey(key)).seal('derived', CONTEXT);
    const raw = await crypto.subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false, ['decrypt']);
    const iv = Uint8Array.from(atob(sealed.iv.replaceAll('-', '+').replaceAll('_', '/')), (c) =>
      c.charCodeAt(0),
    );
    const b64 = sealed.data.replaceAll('-', '+').replaceAll('_', '/');
    const data = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    await expect(
      crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(JSON.stringify(CONTEXT)) },
        raw,
        data,
      ),
    ).rejects.toThrow();
  });
});
