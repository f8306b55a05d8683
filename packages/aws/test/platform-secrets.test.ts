// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are written ${…} literally.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsPlatformSecrets, awsSecretSource, PlatformSecretError } from '../src/platform-secrets.ts';
import { LoopbackSecrets } from './support/loopback-secrets.ts';

const secrets = new LoopbackSecrets();
const saved = { ...process.env };

beforeAll(async () => {
  await secrets.start();
  // Only the SDK's own settings: nothing in our code knows the endpoint.
  Object.assign(process.env, secrets.endpoints());
  secrets.secrets.set(
    'factory/acme',
    JSON.stringify({ LINEAR_API_KEY: 'lin_api_from_secrets_manager', NUMBER: 7, EMPTY: '' }),
  );
  secrets.secrets.set('factory/plain', 'a-whole-secret-string');
  secrets.parameters.set('/factory/acme/github-token', { value: 'ghp_from_ssm', type: 'SecureString' });
  secrets.parameters.set('factory-fleet-url', { value: 'https://fleet.example', type: 'String' });
});
afterAll(async () => {
  process.env = saved;
  await secrets.stop();
});
beforeEach(() => {
  secrets.requests.length = 0;
});

describe('a reference on AWS', () => {
  it('points at an environment variable, an SSM parameter or a Secrets Manager secret (and key)', () => {
    expect(awsSecretSource('${LINEAR_API_KEY}')).toEqual({ kind: 'environment', name: 'LINEAR_API_KEY' });
    expect(awsSecretSource('${ssm:/factory/acme/key}')).toEqual({ kind: 'ssm', name: '/factory/acme/key' });
    expect(awsSecretSource('${secretsmanager:factory/acme}')).toEqual({
      kind: 'secretsmanager',
      secretId: 'factory/acme',
    });
    expect(
      awsSecretSource('${secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:factory/acme-AbCdEf#KEY}'),
    ).toEqual({
      kind: 'secretsmanager',
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:factory/acme-AbCdEf',
      key: 'KEY',
    });
  });

  it('of another store, or a malformed one, is refused by name', () => {
    expect(() => awsSecretSource('${vault:/x}')).toThrow('secret ${vault:/x}: unknown store "vault"');
    expect(() => awsSecretSource('${secretsmanager:factory/acme#}')).toThrow(
      'expected ${secretsmanager:<secret id>#<key>}',
    );
    expect(() => awsSecretSource('LINEAR_API_KEY')).toThrow(PlatformSecretError);
  });
});

describe('AwsPlatformSecrets, through the AWS SDK against loopback Secrets Manager and SSM', () => {
  it('resolves a whole config, reading each parameter and each secret once', async () => {
    const platform = new AwsPlatformSecrets({ env: { SLACK_BOT_TOKEN: 'xoxb-from-env' } });
    const config = {
      tenants: [
        {
          id: 'acme',
          linear: '${secretsmanager:factory/acme#LINEAR_API_KEY}',
          github: '${ssm:/factory/acme/github-token}',
          slack: '${SLACK_BOT_TOKEN}',
          whole: '${secretsmanager:factory/plain}',
        },
        { id: 'beta', github: '${ssm:/factory/acme/github-token}', url: '${ssm:factory-fleet-url}' },
      ],
      untouched: 'plain text',
    };
    const resolved = await platform.resolveAll(config);
    expect(resolved).toEqual({
      tenants: [
        {
          id: 'acme',
          linear: 'lin_api_from_secrets_manager',
          github: 'ghp_from_ssm',
          slack: 'xoxb-from-env',
          whole: 'a-whole-secret-string',
        },
        { id: 'beta', github: 'ghp_from_ssm', url: 'https://fleet.example' },
      ],
      untouched: 'plain text',
    });
    expect(secrets.requests.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([
      { target: 'AmazonSSM.GetParameter', id: '/factory/acme/github-token', withDecryption: true },
      { target: 'AmazonSSM.GetParameter', id: 'factory-fleet-url', withDecryption: true },
      { target: 'secretsmanager.GetSecretValue', id: 'factory/acme' },
      { target: 'secretsmanager.GetSecretValue', id: 'factory/plain' },
    ]);

    // Once per instance (per cold start): a second resolution asks nobody.
    secrets.requests.length = 0;
    await platform.resolveAll(config);
    await platform.resolve('${secretsmanager:factory/acme#NUMBER}').catch(() => undefined);
    expect(secrets.requests).toEqual([]);
  });

  it('a second key of a secret already read costs no request', async () => {
    const platform = new AwsPlatformSecrets();
    await platform.resolve('${secretsmanager:factory/acme#LINEAR_API_KEY}');
    await expect(platform.resolve('${secretsmanager:factory/acme#NUMBER}')).rejects.toThrow(
      'secret ${secretsmanager:factory/acme#NUMBER}: the key NUMBER is not a string',
    );
    expect(secrets.requests).toHaveLength(1);
  });

  it('names what is missing, never a value', async () => {
    const platform = new AwsPlatformSecrets({ env: { EMPTY: '' } });
    const failures = await Promise.all(
      [
        '${NOT_SET}',
        '${EMPTY}',
        '${ssm:/factory/nope}',
        '${secretsmanager:factory/nope}',
        '${secretsmanager:factory/acme#MISSING}',
        '${secretsmanager:factory/acme#EMPTY}',
        '${secretsmanager:factory/plain#KEY}',
      ].map((reference) =>
        platform.resolve(reference).then(
          () => 'resolved',
          (error: Error) => error.message,
        ),
      ),
    );
    expect(failures).toEqual([
      "secret ${NOT_SET}: the function's environment variable NOT_SET is not set",
      "secret ${EMPTY}: the function's environment variable EMPTY is empty",
      'secret ${ssm:/factory/nope}: SSM GetParameter failed: ParameterNotFound',
      "secret ${secretsmanager:factory/nope}: Secrets Manager GetSecretValue failed: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
      'secret ${secretsmanager:factory/acme#MISSING}: the secret has no key MISSING',
      'secret ${secretsmanager:factory/acme#EMPTY}: the value is empty',
      'secret ${secretsmanager:factory/plain#KEY}: the secret is not a JSON object, so it has no key KEY',
    ]);
    for (const message of failures) expect(message).not.toMatch(/lin_api|a-whole-secret/);
  });

  it('a failed read is tried again on the next call', async () => {
    const platform = new AwsPlatformSecrets();
    await expect(platform.resolve('${ssm:/factory/later}')).rejects.toThrow('ParameterNotFound');
    secrets.parameters.set('/factory/later', { value: 'now-there', type: 'SecureString' });
    await expect(platform.resolve('${ssm:/factory/later}')).resolves.toBe('now-there');
    expect(secrets.requests.map((request) => request.id)).toEqual(['/factory/later', '/factory/later']);
  });
});
