/** The dashboard's two static files, by the name its pages link them under, with their media types. */
export const DASHBOARD_ASSET_TYPES = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
} as const;

export type DashboardAssetName = keyof typeof DASHBOARD_ASSET_TYPES;

/**
 * Where the app gets the dashboard's stylesheet and script when a browser asks for them: the app's own
 * copies by default, or a runtime's static files (a Worker's assets), so that the runtime's bundle need
 * not carry them. `request` is the browser's request, for a source that fetches the file.
 */
export type DashboardAssets = (name: DashboardAssetName, request: Request) => Response | Promise<Response>;
