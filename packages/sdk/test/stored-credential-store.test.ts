import { describe, expect, it } from 'vitest';
import { StoredCredentialStore } from '../src/credentials/stored-credential-store.ts';
import { SealedBox } from '../src/crypto/sealed-box.ts';
import { InMemoryStateStore } from '../src/in-memory-state-store.ts';
import type { Credential } from '../src/ports/credential-store.ts';
import type { StateStore } from '../src/ports/state-store.ts';
import { credentialStoreConformance } from '../src/testing/credential-store-conformance.ts';

const box = await SealedBox.fromSecret('5f'.repeat(32));
const otherBox = await SealedBox.fromSecret('a0'.repeat(32));

credentialStoreConformance(
  'StoredCredentialStore over InMemoryStateStore',
  async () => ({ store: new StoredCredentialStore(new InMemoryStateStore(), box) }),
  { versioned: true },
);

const credential: Credential = {
  accessToken: 'access-acme-tracker-7d1f0c9b2e4a',
  refreshToken: 'refresh-acme-tracker-3c5e7a9b1d2f',
  expiresAt: 1_767_225_600_000,
  scopes: ['read'],
};

function setUp() {
  const state = new InMemoryStateStore();
  return { state, credentials: new StoredCredentialStore(state, box) };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('StoredCredentialStore', () => {
  it('keeps the credential sealed in the tenant document credential:<provider>', async () => {
    const { state, credentials } = setUp();
    await credentials.put('acme', 'tracker', credential);
    const document = await state.getDocument('acme', 'credential:tracker');
    expect(document?.version).toBe(1);
    expect(document?.value).toMatchObject({ v: 1, iv: expect.any(String), data: expect.any(String) });
    expect(JSON.stringify(document)).not.toContain(credential.accessToken);
    expect(JSON.stringify(document)).not.toContain(credential.refreshToken);
  });

  it('deletes by storing a tombstone (null), which reads as no credential', async () => {
    const { state, credentials } = setUp();
    await credentials.put('acme', 'tracker', credential);
    await credentials.delete('acme', 'tracker');
    expect(await state.getDocument('acme', 'credential:tracker')).toEqual({ value: null, version: 2 });
    expect(await credentials.read('acme', 'tracker')).toBeUndefined();
  });

  it('refuses a credential record copied into another tenant’s keys, naming tenant and provider only', async () => {
    const { state, credentials } = setUp();
    await credentials.put('acme', 'tracker', credential);
    const copied = await state.getDocument('acme', 'credential:tracker');
    expect(await state.putDocument('globex', 'credential:tracker', copied?.value, 0)).toBe(true);

    const error = await rejection(credentials.get('globex', 'tracker'));
    expect(error.message).toBe(
      'the stored tracker credential of tenant globex does not decrypt: it was sealed for another tenant or provider, or with another deployment key',
    );
    expect(error.message).not.toContain(credential.accessToken);
    await expect(credentials.get('acme', 'tracker')).resolves.toEqual(credential);
  });

  it('refuses a credential record copied to another provider of the same tenant', async () => {
    const { state, credentials } = setUp();
    await credentials.put('acme', 'tracker', credential);
    const copied = await state.getDocument('acme', 'credential:tracker');
    await state.putDocument('acme', 'credential:chat', copied?.value, 0);
    await expect(credentials.read('acme', 'chat')).rejects.toThrow(
      'the stored chat credential of tenant acme does not decrypt: it was sealed for another tenant or provider, or with another deployment key',
    );
  });

  it('refuses a record sealed with another deployment key', async () => {
    const state = new InMemoryStateStore();
    await new StoredCredentialStore(state, otherBox).put('acme', 'tracker', credential);
    await expect(new StoredCredentialStore(state, box).get('acme', 'tracker')).rejects.toThrow(
      /does not decrypt: .* or with another deployment key/,
    );
  });

  it('refuses a record that is not a sealed value, and one that opens to something not a credential', async () => {
    const { state, credentials } = setUp();
    await state.putDocument('acme', 'credential:tracker', { accessToken: 'in clear text' }, 0);
    await expect(credentials.get('acme', 'tracker')).rejects.toThrow(/does not decrypt/);

    const notACredential = await box.seal(
      JSON.stringify({ accessToken: 'access-secret-value', scopes: 'read' }),
      ['credential', 'acme', 'chat'],
    );
    await state.putDocument('acme', 'credential:chat', notACredential, 0);
    const error = await rejection(credentials.get('acme', 'chat'));
    expect(error.message).toBe(
      'the stored chat credential of tenant acme is not a credential: invalid scopes',
    );
  });

  it('refuses to store a malformed credential, naming the field and not its value, and stores nothing', async () => {
    const { state, credentials } = setUp();
    const bad = { accessToken: 'access-secret-value', scopes: ['read'], expiresAt: 'tomorrow' };
    const error = await rejection(credentials.put('acme', 'tracker', bad as unknown as Credential));
    expect(error.message).toBe('cannot store the tracker credential of tenant acme: invalid expiresAt');
    expect(error.message).not.toContain('access-secret-value');
    expect(await state.getDocument('acme', 'credential:tracker')).toBeUndefined();
  });

  it('refuses tenant ids that are not tenant ids (the reserved _ scope among them) and odd provider names', async () => {
    const { credentials } = setUp();
    await expect(credentials.put('_deployment', 'tracker', credential)).rejects.toThrow(/invalid tenant id/);
    await expect(credentials.get('acme', '')).rejects.toThrow(/invalid provider name/);
    await expect(credentials.get('acme', 'a b')).rejects.toThrow(/invalid provider name/);
  });

  it('overwrites through other writers: put retries its compare-and-set', async () => {
    const { state, credentials } = setUp();
    await credentials.put('acme', 'tracker', credential);
    // A store whose first compare-and-set loses to another writer, as in a race.
    let lost = false;
    const putDocument: StateStore['putDocument'] = async (tenant, name, value, expected) => {
      if (!lost) {
        lost = true;
        await state.putDocument(tenant, name, null, expected);
        return false;
      }
      return state.putDocument(tenant, name, value, expected);
    };
    const racing = new Proxy(state, {
      get: (target, key) =>
        key === 'putDocument' ? putDocument : Reflect.get(target, key, target).bind(target),
    });
    await new StoredCredentialStore(racing, box).put('acme', 'tracker', { ...credential, scopes: ['write'] });
    expect((await credentials.read('acme', 'tracker'))?.credential.scopes).toEqual(['write']);
    expect((await credentials.read('acme', 'tracker'))?.version).toBe(3);
  });
});
