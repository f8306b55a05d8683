// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are written ${…} literally.
import { describe, expect, it } from 'vitest';
import { FactoryConfigError, resolveWorkerSecrets } from '../src/index.ts';

describe('secret references on Workers', () => {
  it('are the Worker’s secret bindings', async () => {
    const resolved = await resolveWorkerSecrets(
      { tenants: [{ token: '${LINEAR_API_KEY}', channel: 'C0123' }], operatorToken: '${OPERATOR}' },
      { LINEAR_API_KEY: 'lin_api_from_binding', OPERATOR: 'op-token', FACTORY_STATE: {} },
    );
    expect(resolved).toEqual({
      tenants: [{ token: 'lin_api_from_binding', channel: 'C0123' }],
      operatorToken: 'op-token',
    });
  });

  it('name a missing, empty or non-text binding, never a value', async () => {
    const env = { EMPTY: '', FACTORY_CACHE: { get() {} } };
    for (const [reference, says] of [
      [
        '${MISSING}',
        'secret ${MISSING}: the Worker secret MISSING is not set (`wrangler secret put MISSING`)',
      ],
      ['${EMPTY}', 'secret ${EMPTY}: the Worker secret EMPTY is empty'],
      ['${FACTORY_CACHE}', 'the Worker secret FACTORY_CACHE is not a text binding'],
      ['${ssm:/factory/key}', 'secret ${ssm:/factory/key}: a Worker reads its secrets from its own bindings'],
    ] as const) {
      const error = await resolveWorkerSecrets({ token: reference }, env).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FactoryConfigError);
      expect((error as Error).message).toContain(says);
    }
  });
});
