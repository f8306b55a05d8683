// Every test file runs with this: a connection a test's code opens to anything but this machine
// (127.0.0.0/8, ::1, localhost, a Unix socket) is refused before a name is looked up or a packet
// sent, and the test that caused it fails, even where the code under test catches the error (a
// connection check that reports a vendor as unreachable, a retry loop). On Node, the processes the
// tests start (`factory start`, wrangler, a demo agent) are held to the same through `NODE_OPTIONS`
// and report what they were refused to the test. Nothing leaves 127.0.0.1.
import { afterAll, afterEach } from 'vitest';
import { REFUSED_REPORT_VARIABLE, refuseConnectionsElsewhere, withLoopbackGuard } from './loopback-guard.mjs';

const refused: string[] = [];
refuseConnectionsElsewhere((to) => refused.push(to));

/** The children's refusals, read and emptied; none where a test starts no process (inside workerd). */
const children =
  globalThis.navigator?.userAgent === 'Cloudflare-Workers' ? undefined : await reportChildren();

/**
 * The connections refused since the last call, forgotten: this process's (`host:port`), then its
 * children's (`host:port (from <script> <arguments>)`). For this guard's own test.
 */
export function takeRefusedConnections(): string[] {
  return [...refused.splice(0), ...(children?.take() ?? [])];
}

afterEach(() => {
  const destinations = [...new Set(takeRefusedConnections())];
  if (destinations.length > 0)
    throw new Error(
      `the test tried to connect outside this machine (${destinations.join(', ')}); point it at a loopback server`,
    );
});

afterAll(() => children?.remove());

/**
 * Has every Node process started from here on load `loopback-only-children.mjs`, which writes what it
 * refuses to a report file of this test file's own.
 */
async function reportChildren(): Promise<{ take(): string[]; remove(): void }> {
  const { readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const report = join(tmpdir(), `refused-connections-${crypto.randomUUID()}`);
  writeFileSync(report, '', { mode: 0o600 });
  process.env[REFUSED_REPORT_VARIABLE] = report;
  // The children inherit this process's environment: it gets what a child's own environment would.
  Object.assign(process.env, withLoopbackGuard(process.env));
  // Read on from where the last reading stopped, never emptied: a child may be writing meanwhile.
  let read = 0;
  return {
    take() {
      const text = readFileSync(report, 'utf8');
      const lines = text.slice(read).split('\n').filter(Boolean);
      read = text.length;
      return lines;
    },
    remove: () => rmSync(report, { force: true }),
  };
}
