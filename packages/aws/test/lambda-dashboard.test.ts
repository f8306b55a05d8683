import { traceIdFor } from '@software-factory/sdk';
import { DEFAULT_TEST_SETTINGS } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployInstance } from './support/deployment.ts';
import { asHttpApiEvent, headerOf } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

// Issue #28 through the Lambda handler: the same dashboard pages and their data, over DynamoDB.

const ADMIN_TOKEN = 'admin-token-of-the-lambda-dashboard-01';
const TRACE_URL = 'https://traces.example/explore?traceId={traceId}';

let dynamo: LocalDynamo;
let deployment: ReturnType<typeof deployInstance>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  deployment = deployInstance({
    dynamo,
    tableName: await dynamo.createTable(),
    tenants: [{ id: 'acme', settings: DEFAULT_TEST_SETTINGS, adminToken: ADMIN_TOKEN }],
    traceUrl: TRACE_URL,
  });
});
afterAll(() => dynamo.close());

const get = (path: string, token = ADMIN_TOKEN) =>
  deployment.handlers.http(
    asHttpApiEvent({ method: 'GET', path, headers: token ? { authorization: `Bearer ${token}` } : {} }),
  );

describe('the dashboard served by the Lambda handler', () => {
  it('renders the overview, an item page and the plots, with their data, to the admin token', async () => {
    const h = deployment.harness('acme');
    await h.factory.handle(h.changed(h.clearItem('item-1', { title: 'Export as JSON' })));
    await h.factory.handle(h.output(h.tracker.items.get('item-1') as never, 'ready'));

    const overview = await get('/t/acme/');
    expect(overview.statusCode).toBe(200);
    expect(headerOf(overview, 'content-type')).toMatch(/^text\/html/);
    expect(overview.body).toContain(
      '<li data-count="done"><a href="/t/acme/?status=done"><span class="n">1</span> done',
    );
    const status = await get('/t/acme/status.json');
    expect(JSON.parse(status.body)).toMatchObject({ counts: { done: 1 } });
    const etag = headerOf(status, 'etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);

    const item = await get('/t/acme/items/item-1');
    expect(item.statusCode).toBe(200);
    expect(item.body).toContain('href="https://code.example/acme/app/pull/1"');
    expect(item.body).toContain(`traceId=${traceIdFor('acme', 'item-1', 1)}`);
    const history = await get('/t/acme/items/item-1/history.json');
    expect(JSON.parse(history.body)).toMatchObject({ status: 'done', attempts: [{ outcome: 'succeeded' }] });

    const plots = await get('/t/acme/plots?window=30d');
    expect(plots.statusCode).toBe(200);
    expect(plots.body).toMatch(/<figure id="plot-done"[\s\S]*<rect class="bar"/);
    expect(JSON.parse((await get('/t/acme/plots.json')).body)).toMatchObject({ window: '24h', records: 1 });

    expect((await get('/t/acme/items/unknown')).statusCode).toBe(404);
    expect((await get('/t/acme/?status=stuck')).statusCode).toBe(400);
    expect((await get('/t/acme/plots', '')).statusCode).toBe(401);
  });
});
