import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type StateStore, StaticTenantRegistry } from '@software-factory/sdk';
import { FactoryHarness } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../scripts/bundle.ts';
import { asHttpApiEvent } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

type Handler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

const outRoot = mkdtempSync(join(tmpdir(), 'factory-aws-bundle-'));
let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
  rmSync(outRoot, { recursive: true, force: true });
});

/** The bundle's module, imported fresh, with the function's environment as the template sets it. */
async function loadBundle(
  entry: string,
  env: Record<string, string>,
): Promise<{ http: Handler; schedule: Handler }> {
  const outdir = mkdtempSync(join(outRoot, 'out-'));
  const outfile = await bundle({ entry, outdir });
  Object.assign(process.env, env);
  return import(pathToFileURL(outfile).href);
}

const awsEnvironment = (tableName: string) => ({
  FACTORY_TABLE: tableName,
  FACTORY_VERSION: 'bundled-1',
  // The SDK's own per-service endpoint setting: the bundle reaches dynalite with no code of ours.
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});

describe('npm run bundle', () => {
  it('builds one module that runs as both Lambda handlers against DynamoDB', async () => {
    const tableName = await dynamo.createTable();
    let harness: FactoryHarness | undefined;
    (globalThis as { factoryTestRegistry?: unknown }).factoryTestRegistry = (store: StateStore) => {
      harness = new FactoryHarness({ tenant: 'bundled', store });
      return new StaticTenantRegistry([
        { id: 'bundled', factory: harness.factory, sources: new Map(), connections: async () => [] },
      ]);
    };
    const handler = await loadBundle(
      new URL('./support/bundle-entry.ts', import.meta.url).pathname,
      awsEnvironment(tableName),
    );

    const health = await handler.http(asHttpApiEvent({ method: 'GET', path: '/healthz', headers: {} }));
    expect(health.statusCode).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', version: 'bundled-1' });

    // The tenant's state lives in DynamoDB through the bundle's store; the bundle's tick acts on it.
    const tenant = harness as FactoryHarness;
    await tenant.factory.handle(tenant.changed(tenant.vagueItem('item-1')));
    expect(await tenant.status('item-1')).toBe('waiting-clarification');
    tenant.clock.advance(86_400_001);
    const summary = await handler.schedule({ source: 'factory.tick', scheduledTime: '2026-01-02T00:00:01Z' });
    expect(summary).toMatchObject({ tenants: [{ tenant: 'bundled', outcome: 'changed' }], failed: 0 });
    expect(tenant.chat.threads.get(tenant.chat.threadFor('item-1') as string)?.replies).toHaveLength(1);
  });

  it('bundles the example wiring, which names every missing variable and none of the values it got', async () => {
    const tableName = await dynamo.createTable();
    const handler = await loadBundle(new URL('../examples/handler.ts', import.meta.url).pathname, {
      ...awsEnvironment(tableName),
      FACTORY_TENANT: 'acme',
      LINEAR_API_KEY: 'lin_api_must_not_be_printed',
    });
    const error = await handler
      .http(asHttpApiEvent({ method: 'GET', path: '/healthz', headers: {} }))
      .catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^the factory's environment is incomplete: /);
    for (const name of ['FACTORY_SETTINGS', 'SLACK_BOT_TOKEN', 'GITHUB_WEBHOOK_SECRET', 'FLEET_URL']) {
      expect((error as Error).message).toContain(name);
    }
    expect((error as Error).message).not.toContain('LINEAR_API_KEY');
    expect((error as Error).message).not.toContain('lin_api_must_not_be_printed');
  });

  describe('refuses wrong arguments with a clear message and a failing exit code', () => {
    const runCli = (args: string[]) =>
      spawnSync(process.execPath, [new URL('../scripts/bundle.ts', import.meta.url).pathname, ...args], {
        encoding: 'utf8',
      });

    it('an unknown option', () => {
      const result = runCli(['--entri', 'examples/handler.ts']);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("bundle failed: Unknown option '--entri'");
      expect(result.stderr).toContain(
        'usage: npm run bundle -w @software-factory/aws -- [--entry <handler.ts>]',
      );
    });

    it('an entry that does not exist', () => {
      const result = runCli(['--entry', 'examples/nope.ts', '--outdir', join(outRoot, 'never')]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/bundle failed: entry .*examples\/nope\.ts does not exist/);
    });

    it('a stray positional argument', () => {
      const result = runCli(['examples/handler.ts']);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('bundle failed: Unexpected argument');
    });
  });
});
