// Writes the dashboard's stylesheet and script, as the core serves them, into `assets/`: the static
// assets wrangler.jsonc uploads beside the example Worker (whose script does not carry them).
// `npm run assets -w @software-factory/cloudflare` runs it; test/dashboard-assets.test.ts checks the copies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_ASSET_FILES } from '@software-factory/sdk';

const assetsDir = join(dirname(dirname(fileURLToPath(import.meta.url))), 'assets');
mkdirSync(assetsDir, { recursive: true });
for (const [name, content] of Object.entries(DASHBOARD_ASSET_FILES))
  writeFileSync(join(assetsDir, name), content);
console.log(`wrote ${Object.keys(DASHBOARD_ASSET_FILES).join(', ')} to ${assetsDir}`);
