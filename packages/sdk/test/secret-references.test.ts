// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are written ${…} literally.
import { describe, expect, it } from 'vitest';
import {
  parseSecretReference,
  resolveSecretReferences,
  secretReferencesIn,
} from '../src/secret-references.ts';

describe('a secret reference', () => {
  it('names a variable of the environment', () => {
    expect(parseSecretReference('${LINEAR_API_KEY}')).toEqual({
      text: '${LINEAR_API_KEY}',
      scheme: undefined,
      locator: 'LINEAR_API_KEY',
    });
  });

  it('or a store by scheme, with a locator the runtime reads', () => {
    expect(parseSecretReference('${store:/factory/acme/key}')).toMatchObject({
      scheme: 'store',
      locator: '/factory/acme/key',
    });
    expect(parseSecretReference('${vault:arn:x:y:secret:a/b#KEY}')).toMatchObject({
      scheme: 'vault',
      locator: 'arn:x:y:secret:a/b#KEY',
    });
  });

  it('is exactly one reference, nothing around it', () => {
    for (const text of [
      'x${A}',
      '${A}x',
      '${1A}',
      '${}',
      '${store:}',
      '${Store:a}',
      '${a b}',
      'A',
      '${store:a b}',
    ])
      expect([text, parseSecretReference(text)]).toEqual([text, undefined]);
  });
});

describe('the references of a config', () => {
  const config = {
    tenants: [
      { id: 'acme', token: '${TOKEN}', nested: [{ secret: '${store:/a}' }], name: 'plain', count: 3 },
      { id: 'beta', token: '${TOKEN}', other: '${store:/b}', flag: true, nothing: null },
    ],
  };

  it('are listed once each, in order', () => {
    expect(secretReferencesIn(config).map((reference) => reference.text)).toEqual([
      '${TOKEN}',
      '${store:/a}',
      '${store:/b}',
    ]);
  });

  it('are replaced by their values, each resolved once, in a copy', async () => {
    const asked: string[] = [];
    const resolved = await resolveSecretReferences(config, async (reference) => {
      asked.push(reference.text);
      return `value of ${reference.locator}`;
    });
    expect(asked.sort()).toEqual(['${TOKEN}', '${store:/a}', '${store:/b}']);
    expect(resolved).toEqual({
      tenants: [
        { id: 'acme', token: 'value of TOKEN', nested: [{ secret: 'value of /a' }], name: 'plain', count: 3 },
        { id: 'beta', token: 'value of TOKEN', other: 'value of /b', flag: true, nothing: null },
      ],
    });
    expect(config.tenants[0]?.token).toBe('${TOKEN}');
  });

  it('fail with the resolver’s error', async () => {
    await expect(
      resolveSecretReferences(config, async (reference) => {
        throw new Error(`no ${reference.text}`);
      }),
    ).rejects.toThrow(/^no \$\{/);
  });
});
