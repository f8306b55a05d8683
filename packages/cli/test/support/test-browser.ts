// A person's browser for `factory connect --remote`, run as `$BROWSER <url>` (through the wrapper
// `testBrowser` writes): it opens the vendor's authorization URL, where the loopback vendor "approves" at
// once and redirects, and follows that redirect to the deployed app's callback, as a click on "Allow"
// would. What it saw goes to the file named by TEST_BROWSER_LOG, one JSON line per visit, without the
// code or the state (they stay between the vendor and the app).
import { appendFileSync } from 'node:fs';

const url = process.argv[2] ?? '';
const log = process.env.TEST_BROWSER_LOG;

function record(entry: Record<string, unknown>): void {
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
}

try {
  const consent = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await consent.body?.cancel();
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) {
    record({ consent: consent.status, error: 'the consent page did not redirect' });
  } else {
    const back = new URL(location);
    const callback = await fetch(back, { redirect: 'manual', signal: AbortSignal.timeout(20_000) });
    const page = await callback.text();
    record({
      consent: consent.status,
      callback: back.origin + back.pathname,
      query: [...back.searchParams.keys()].sort(),
      status: callback.status,
      heading: /<h1[^>]*>([^<]*)<\/h1>/.exec(page)?.[1] ?? '',
    });
  }
} catch (error) {
  record({ error: error instanceof Error ? error.message : String(error) });
}
