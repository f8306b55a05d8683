import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialStoreConformance } from '@software-factory/sdk/testing';
import { EncryptedFileCredentialStore } from '../src/index.ts';

credentialStoreConformance('EncryptedFileCredentialStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'factory-auth-conformance-'));
  return {
    store: new EncryptedFileCredentialStore({
      path: join(dir, 'credentials.enc'),
      key: { key: Buffer.alloc(32, 9) },
    }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});
