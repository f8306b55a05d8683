import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, withLoopbackGuard } from '../scripts/loopback-guard.mjs';
import { takeRefusedConnections } from '../scripts/loopback-only.ts';

describe('tests reach only this machine', () => {
  it('knows this machine by name and address, and nothing else as it', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      'api.localhost',
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      'api.linear.app',
      'slack.com',
      '10.0.0.1',
      '192.0.2.1',
      '::ffff:10.0.0.1',
      '2001:db8::1',
      'localhost.example.com',
      '0.0.0.0',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses a connection elsewhere before it is made, and the test that made it hears of it', async () => {
    await expect(fetch('http://api.linear.app/graphql')).rejects.toThrow('fetch failed');
    await expect(fetch('https://192.0.2.1:8443/')).rejects.toThrow('fetch failed');
    // The guard's afterEach would fail this test for them; it is told here instead.
    expect(takeRefusedConnections()).toEqual(['api.linear.app:80', '192.0.2.1:8443']);
  });

  it('lets a connection to a loopback server through', async () => {
    await withLoopbackServer(async (port) => {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('here');
      expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe('here');
    });
    expect(takeRefusedConnections()).toEqual([]);
  });

  it('holds the Node processes a test starts to the same, and tells the test what they were refused', async () => {
    // The child swallows the errors, as a connection check does: only the report tells.
    const output = await nodeOutput(
      "await fetch('https://api.github.com/zen').catch(() => {}); await fetch('http://10.0.0.1:8080/').catch(() => {});",
    );
    expect(output).toBe('');
    expect(takeRefusedConnections()).toEqual(['api.github.com:443 (from node)', '10.0.0.1:8080 (from node)']);
  });

  it('holds a child started with an environment of its own (a user shell’s) once the guard is added to it', async () => {
    const script = "await fetch('https://api.linear.app/graphql').catch(() => {});";
    const own = { PATH: process.env.PATH ?? '' };
    expect(await nodeOutput(script, withLoopbackGuard(own))).toBe('');
    expect(takeRefusedConnections()).toEqual(['api.linear.app:443 (from node)']);
  });

  it('keeps what the environment of its own puts in NODE_OPTIONS beside the guard', () => {
    const options = withLoopbackGuard({ NODE_OPTIONS: '--enable-source-maps' }).NODE_OPTIONS ?? '';
    expect(options.split(' ')[0]).toBe('--enable-source-maps');
    expect(options).toContain('loopback-only-children.mjs');
    expect(withLoopbackGuard({ NODE_OPTIONS: options }).NODE_OPTIONS).toBe(options);
  });

  it('lets a child reach a loopback server', async () => {
    await withLoopbackServer(async (port) => {
      const script = `process.stdout.write(await (await fetch('http://127.0.0.1:${port}/')).text());`;
      expect(await nodeOutput(script)).toBe('here');
    });
    expect(takeRefusedConnections()).toEqual([]);
  });
});

/** Runs `use` with a server on 127.0.0.1 that answers `here`, and closes it after. */
async function withLoopbackServer(use: (port: number) => Promise<void>): Promise<void> {
  const server = createServer((_, response) => response.end('here'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await use((server.address() as AddressInfo).port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** What a Node child running `script` (an ES module) printed, stdout then stderr; `env`: the test's. */
function nodeOutput(script: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { env }, (error, stdout, stderr) =>
      error ? reject(error) : resolve(stdout + stderr),
    ),
  );
}
