import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, takeRefusedConnections } from '../scripts/loopback-only.ts';

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
    const server = createServer((_, response) => response.end('here'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('here');
      expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe('here');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(takeRefusedConnections()).toEqual([]);
  });
});
