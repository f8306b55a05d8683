import { describe, expect, it } from 'vitest';
import { REDACTED, redact, SecretSet } from '../src/index.ts';

describe('redact', () => {
  it('removes the secrets it is given, also URL-encoded', () => {
    const secret = 'v3rifier+with/slashes=';
    expect(redact(`sent ${secret} and ${encodeURIComponent(secret)}`, [secret])).toBe(
      `sent ${REDACTED} and ${REDACTED}`,
    );
  });

  it('masks secret-bearing query and form fields nobody registered', () => {
    expect(redact('GET /callback?code=abc123def456&state=xyz')).toBe(
      `GET /callback?code=${REDACTED}&state=xyz`,
    );
    expect(redact('grant_type=refresh_token&refresh_token=r1r2r3r4r5&client_secret=s3cr3t')).toBe(
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_secret=${REDACTED}`,
    );
    expect(redact('code_verifier=abcdefgh device_code=12345678')).toBe(
      `code_verifier=${REDACTED} device_code=${REDACTED}`,
    );
  });

  it('masks secret-bearing JSON fields', () => {
    expect(redact('{"access_token": "abc", "token_type": "bearer", "refresh_token":"def"}')).toBe(
      `{"access_token": "${REDACTED}", "token_type": "bearer", "refresh_token":"${REDACTED}"}`,
    );
  });

  it('masks vendor token shapes and authorization headers', () => {
    const text = [
      'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy',
      'xoxe-1-My0xLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz',
      'lin_api_0123456789abcdef0123',
      'lin_oauth_8f2c1d9e7b6a5f4e3d2c',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc',
      'Authorization: Basic ZmFjdG9yeTpzZWNyZXQ=',
    ].join('\n');
    expect(redact(text)).toBe(
      [
        REDACTED,
        REDACTED,
        REDACTED,
        REDACTED,
        REDACTED,
        REDACTED,
        `Authorization: Bearer ${REDACTED}`,
        `Authorization: Basic ${REDACTED}`,
      ].join('\n'),
    );
  });

  it('leaves ordinary text alone, including short values that only look like registered secrets', () => {
    const text =
      'linear connected (scopes: read, write); open https://github.com/login/device and enter WDJB-MJHT';
    expect(redact(text, ['read', 'a'])).toBe(text);
  });

  it('removes the longest secret first when one contains another', () => {
    expect(redact('token abcdefgh-ijklmnop', ['abcdefgh', 'abcdefgh-ijklmnop'])).toBe(`token ${REDACTED}`);
  });
});

describe('SecretSet', () => {
  it('masks every secret registered so far in later text and printed lines', () => {
    const secrets = new SecretSet();
    const printed: string[] = [];
    const print = secrets.printer((line) => printed.push(line));
    secrets.add('first-secret-value', undefined);
    print('1: first-secret-value second-secret-value');
    secrets.add('second-secret-value');
    print('2: first-secret-value second-secret-value');
    expect(printed).toEqual([`1: ${REDACTED} second-secret-value`, `2: ${REDACTED} ${REDACTED}`]);
  });
});
