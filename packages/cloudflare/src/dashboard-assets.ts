import { DASHBOARD_ASSET_TYPES, type DashboardAssets, type Logger } from '@software-factory/sdk';

/**
 * The dashboard's stylesheet and script from the Worker's static assets (`assets` in wrangler.jsonc,
 * holding `dashboard.css` and `dashboard.js` at its root), so the Worker's script need not carry them.
 * A missing binding breaks only these two files: the answer and the log say what to fix.
 */
export function dashboardAssetsOf(env: object, binding: string, logger: Logger): DashboardAssets {
  return async (name, request) => {
    const assets = (env as Record<string, unknown>)[binding];
    if (!isFetcher(assets)) {
      const error = `binding "${binding}" must be the Worker's static assets holding ${name}; check assets in wrangler.jsonc`;
      logger.error('factory worker is misconfigured', { error });
      return Response.json({ error: `factory worker is misconfigured: ${error}` }, { status: 500 });
    }
    const file = await assets.fetch(new URL(`/${name}`, request.url));
    // A fetched response's headers are immutable; the app adds its security headers to this copy.
    const answer = new Response(file.body, file);
    if (file.ok) answer.headers.set('content-type', DASHBOARD_ASSET_TYPES[name]);
    return answer;
  };
}

function isFetcher(value: unknown): value is Fetcher {
  return typeof (value as Partial<Fetcher> | undefined)?.fetch === 'function';
}
