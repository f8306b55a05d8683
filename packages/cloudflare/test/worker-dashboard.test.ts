import { DASHBOARD_ASSET_FILES, DASHBOARD_ASSET_TYPES, traceIdFor } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { freshTenant, workerScenario } from './support/worker-scenario.ts';

// Issue #28 in workerd: the same dashboard pages and their data, from the Worker.

const ADMIN_TOKEN = 'admin-token-of-the-worker-dashboard-01';
const TRACE_URL = 'https://traces.example/explore?traceId={traceId}';

describe('the dashboard served by the Worker', () => {
  it('renders the overview, an item page and the plots, with their data, to the admin token', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }], { traceUrl: TRACE_URL });
    const h = await scenario.harness(tenant);
    await scenario.deliver(tenant, 'delivery-1', [h.changed(h.vagueItem('item-7'))]);
    h.clock.advance(60_000);
    await scenario.deliver(tenant, 'delivery-2', [
      {
        type: 'clarification.replied',
        threadId: h.chat.threadFor('item-7') ?? '',
        messageId: 'm-1',
        author: { id: 'pm', name: 'Pat', trusted: true, reason: 'a member of the channel' },
        text: 'The export command should accept --json and print the rows as a JSON array; keep the table as is.',
      },
    ]);
    const admin = (path: string) =>
      scenario.fetch(
        new Request(`https://factory.example/t/${tenant}${path}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'cf-connecting-ip': '198.51.100.20' },
        }),
      );

    const overview = await admin('/');
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await overview.text();
    expect(html).toContain('<li data-count="dispatched">');
    expect(html).toContain(`<a href="/t/${tenant}/items/item-7">ENG-7</a>`);
    const status = await admin('/status.json');
    expect(status.status).toBe(200);
    const body = (await status.json()) as { counts: { dispatched: number } };
    expect(body.counts.dispatched).toBe(1);

    const item = await admin('/items/item-7');
    expect(item.status).toBe(200);
    const itemHtml = await item.text();
    expect(itemHtml).toContain('<b>Pat</b> answered: <blockquote>The export command should accept --json');
    expect(itemHtml).toContain(`traceId=${traceIdFor(tenant, 'item-7', 1)}`);
    const history = await admin('/items/item-7/history.json');
    expect(await history.json()).toMatchObject({
      status: 'dispatched',
      attempts: [{ number: 1, outcome: 'running' }],
    });

    const plots = await admin('/plots?window=7d');
    expect(plots.status).toBe(200);
    expect(await plots.text()).toMatch(/<figure id="plot-agents"[\s\S]*<rect class="bar"/);
    const data = await admin('/plots.json?window=30d');
    expect(await data.json()).toMatchObject({ window: '30d', records: 1 });

    for (const asset of ['/dashboard.js', '/dashboard.css']) expect((await admin(asset)).status).toBe(200);
    expect((await admin('/items/unknown')).status).toBe(404);
    expect((await admin('/plots?window=1y')).status).toBe(400);
  });

  it("serves the dashboard's stylesheet and script from the Worker's static assets, as the core has them", async () => {
    // The Worker's script does not carry them: wrangler.jsonc's `assets` (written by `npm run assets`)
    // holds them, and the Worker answers for them under each tenant, with the core's headers.
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }]);
    for (const name of ['dashboard.css', 'dashboard.js'] as const) {
      const response = await scenario.fetch(new Request(`https://factory.example/t/${tenant}/${name}`));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(DASHBOARD_ASSET_TYPES[name]);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text(), `packages/cloudflare/assets/${name}: run \`npm run assets\``).toBe(
        DASHBOARD_ASSET_FILES[name],
      );
    }
  });

  it('names the assets binding when it is missing, and serves the pages without it', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }], {
      assetsBinding: 'NO_ASSETS',
    });
    const response = await scenario.fetch(new Request(`https://factory.example/t/${tenant}/dashboard.css`));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error:
        'factory worker is misconfigured: binding "NO_ASSETS" must be the Worker\'s static assets holding dashboard.css; check assets in wrangler.jsonc',
    });
    const overview = await scenario.fetch(
      new Request(`https://factory.example/t/${tenant}/`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'cf-connecting-ip': '198.51.100.21' },
      }),
    );
    expect(overview.status).toBe(200);
  });

  it('shows nothing of it without the token', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }]);
    for (const path of ['/', '/status.json', '/items/item-7', '/plots', '/plots.json'])
      expect((await scenario.fetch(new Request(`https://factory.example/t/${tenant}${path}`))).status).toBe(
        401,
      );
  });
});
