import { importOptionalPeer, MissingPeerError } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import * as z from 'zod/mini';
import { probe } from '../../sdk/test/support/peer-probe.ts';
import { checkTriage, type TriageConfigInput } from '../src/index.ts';
import { API_KEY } from './support/setup.ts';

/** A package no registry has, so importing it fails in Node's resolver for real. */
const NOT_INSTALLED = '@software-factory/not-installed-peer';

const ANTHROPIC = {
  type: 'llm',
  provider: 'anthropic',
  model: 'claude-sonnet-4-20250514',
  apiKey: API_KEY,
} as const satisfies TriageConfigInput;
const OPENAI = { ...ANTHROPIC, provider: 'openai-compatible', model: 'gpt-4o-mini' } as const;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('importOptionalPeer', () => {
  it('hands back the module when the package is installed', async () => {
    const zod = await importOptionalPeer('zod', 'the test', () => import('zod'));
    expect(zod.ZodError).toBe(ZodError);
  });

  it('names the package and the command that installs it when the package is not installed', async () => {
    const error = await rejection(importOptionalPeer(NOT_INSTALLED, 'the test', () => import(NOT_INSTALLED)));

    expect(error).toBeInstanceOf(MissingPeerError);
    expect((error as MissingPeerError).message).toBe(
      `the test needs the package ${NOT_INSTALLED}: npm install ${NOT_INSTALLED}`,
    );
    expect((error as MissingPeerError).packageName).toBe(NOT_INSTALLED);
    // The loader's own error stays reachable, for whoever needs the path Node searched from.
    const cause = (error as MissingPeerError).cause as NodeJS.ErrnoException;
    expect(cause.code).toBe('ERR_MODULE_NOT_FOUND');
    expect(cause.message).toContain(`Cannot find package '${NOT_INSTALLED}'`);
  });

  it('rethrows any other failure unchanged', async () => {
    const thrown = new TypeError('the SDK failed while it loaded');
    expect(await rejection(importOptionalPeer('zod', 'the test', () => Promise.reject(thrown)))).toBe(thrown);
  });

  it('rethrows unchanged when another package is missing, such as a dependency of the peer', async () => {
    const other = `${NOT_INSTALLED}-dependency`;
    const original = await rejection(import(other));

    const error = await rejection(importOptionalPeer(NOT_INSTALLED, 'the test', () => import(other)));

    expect(error).not.toBeInstanceOf(MissingPeerError);
    expect((error as NodeJS.ErrnoException).code).toBe('ERR_MODULE_NOT_FOUND');
    expect((error as Error).message).toBe((original as Error).message);
  });

  it('does not take a package whose name only starts with the peer’s for the peer', async () => {
    const error = await rejection(
      importOptionalPeer('@software-factory/not', 'the test', () => import(NOT_INSTALLED)),
    );
    expect(error).not.toBeInstanceOf(MissingPeerError);
  });
});

describe('checkTriage', () => {
  it('resolves for the rules, and for each provider whose SDK is installed', async () => {
    await expect(checkTriage({ type: 'rules' })).resolves.toBeUndefined();
    await expect(checkTriage(ANTHROPIC)).resolves.toBeUndefined();
    await expect(checkTriage(OPENAI)).resolves.toBeUndefined();
  });

  it('refuses a bad block as createTriage does', async () => {
    await expect(checkTriage({ ...ANTHROPIC, provider: 'cohere' } as never)).rejects.toBeInstanceOf(
      z.core.$ZodError,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's reference syntax, not a template
    const reference = '${ANTHROPIC_API_KEY}';
    await expect(checkTriage({ ...ANTHROPIC, apiKey: reference })).rejects.toThrow(
      `triage.apiKey still holds the reference ${reference}`,
    );
  });
});

// A fresh node process per case: the SDKs are optional peer dependencies, and the CLI must be able
// to import this package without them.
describe('the provider SDKs are optional peers', () => {
  it('importing the package loads neither SDK; checking a provider loads only its own', async () => {
    const { reports } = await probe(`
      const { checkTriage, createTriage } = await import('@software-factory/llm-triage');
      report('import');
      createTriage(${JSON.stringify(OPENAI)}, []);
      report('createTriage');
      await checkTriage(${JSON.stringify(OPENAI)});
      report('checkTriage openai-compatible');
      await checkTriage(${JSON.stringify(ANTHROPIC)});
      report('checkTriage anthropic');
    `);

    expect(reports).toEqual({
      import: [],
      createTriage: [],
      'checkTriage openai-compatible': ['openai'],
      'checkTriage anthropic': ['openai', '@anthropic-ai/sdk'],
    });
  });

  it.each([
    [
      'anthropic',
      ANTHROPIC,
      '@anthropic-ai/sdk',
      'triage.provider anthropic needs the package @anthropic-ai/sdk: npm install @anthropic-ai/sdk',
    ],
    [
      'openai-compatible',
      OPENAI,
      'openai',
      'triage.provider openai-compatible needs the package openai: npm install openai',
    ],
  ] as const)(
    'without its SDK, checkTriage for provider %s names the package to install',
    async (_, config, sdk, message) => {
      const { answer } = await probe(
        `
      const { checkTriage } = await import('@software-factory/llm-triage');
      const error = await checkTriage(${JSON.stringify(config)}).then(() => undefined, (caught) => caught);
      answer({ name: error?.name, message: error?.message, packageName: error?.packageName });
    `,
        [sdk],
      );
      expect(answer).toEqual({ name: 'MissingPeerError', message, packageName: sdk });
    },
  );

  it('without the SDK installed, a triage built anyway falls back to the rules and says why', async () => {
    const { answer } = await probe(
      `
      const { createTriage } = await import('@software-factory/llm-triage');
      const { resolveSettings } = await import('@software-factory/sdk');
      const { sampleWorkItem } = await import('@software-factory/sdk/testing/fakes');
      const { routes } = resolveSettings({
        routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      });
      const lines = [];
      const logger = { debug() {}, info() {}, error() {}, warn: (message, fields) => lines.push({ message, fields }) };
      const triage = createTriage(${JSON.stringify(ANTHROPIC)}, routes, { logger });
      const decision = await triage.triage({ item: sampleWorkItem({ id: 'item-1' }), answers: [] });
      answer({ route: decision.route?.name, reason: decision.reasons[0], lines });
    `,
      ['@anthropic-ai/sdk'],
    );
    expect(answer).toEqual({
      route: 'app',
      reason: 'model unavailable (the package @anthropic-ai/sdk is not installed); fell back to rules',
      lines: [
        {
          message: 'triage model gave no usable answer; the rules decide',
          fields: {
            workItemId: 'item-1',
            model: 'anthropic claude-sonnet-4-20250514',
            kind: 'not-installed',
            detail: 'the package @anthropic-ai/sdk is not installed',
          },
        },
      ],
    });
  });
});
