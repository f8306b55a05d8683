// Every Node process a test starts loads this first (`NODE_OPTIONS`, set by `loopback-only.ts`, or by
// `withLoopbackGuard` for an environment of its own): it refuses a connection to anything but this
// machine as the test's own process does, and writes each one refused to the test's report file, so the
// test fails even when the child swallowed the error (a connection check that reports a vendor
// unreachable) or its output was never read.
import { appendFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { REFUSED_REPORT_VARIABLE, refuseConnectionsElsewhere } from './loopback-guard.mjs';

const report = process.env[REFUSED_REPORT_VARIABLE];
// npm, installing the packed tarballs' dependencies into a test's project, reaches the registry as
// `npm ci` does before the tests: that is setting up, not code under test talking to a vendor.
// Its script is `npm-cli.js`, or the `npm` launcher a Node install ships beside `node`.
const installer = /^np[mx](-cli\.js)?$/.test(basename(process.argv[1] ?? ''));
if (report && !installer) {
  // The script and its first arguments (`cli.js start --config …`); plain `node` for code given with -e.
  const script = process.argv[1];
  const who = script ? [basename(script), ...process.argv.slice(2, 4)].join(' ') : 'node';
  refuseConnectionsElsewhere((to) => {
    // A child that outlived the test file that started it is refused all the same, unreported: its
    // report is gone, and must not be made again in a folder the run removes.
    try {
      if (existsSync(report)) appendFileSync(report, `${to} (from ${who})\n`);
    } catch {}
  });
}
