// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runFactory } from './support/factory-process.ts';

// `server.credentialsKey` seals the tokens of sign-ins on the deployment: a key that is not 32 random
// bytes is refused before anything is served or stored, without being repeated.

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

const CONFIG = `server:
  port: 0
  operatorToken: \${FACTORY_OPERATOR_TOKEN}
  credentialsKey: \${DEPLOYMENT_KEY}
stateStore: { type: memory }
tenants: []
`;

describe('factory start with a credentials key that is no key', () => {
  for (const [what, key] of [
    ['a passphrase', 'correct horse battery staple'],
    ['16 random bytes', 'c2l4dGVlbi1ieXRlcy1rZXk='],
  ] as const)
    it(`refuses ${what} (exit 2), naming the field and never the value`, async () => {
      const cwd = await mkdtemp(path.join(tmpdir(), 'factory-credentials-key-'));
      folders.push(cwd);
      await writeFile(path.join(cwd, 'factory.config.yaml'), CONFIG);
      const result = await runFactory(['start'], {
        cwd,
        env: { FACTORY_OPERATOR_TOKEN: 'operator-token-of-the-key-test-0123456789', DEPLOYMENT_KEY: key },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('cannot set up the factory: server.credentialsKey:');
      expect(`${result.stdout}${result.stderr}`).not.toContain(key);
    });
});
