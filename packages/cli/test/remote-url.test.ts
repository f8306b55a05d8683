import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseRemoteUrl, remoteEndpoint, remoteText } from '../src/remote/remote-url.ts';

describe('--remote <url>', () => {
  it.each([
    ['https://factory.example.com', 'https://factory.example.com/'],
    ['https://factory.example.com/', 'https://factory.example.com/'],
    ['https://api.example.com/prod/', 'https://api.example.com/prod'],
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787/'],
    ['http://localhost:3000', 'http://localhost:3000/'],
    ['http://[::1]:3000', 'http://[::1]:3000/'],
  ])('accepts %s', (value, href) => {
    expect(parseRemoteUrl(value).href).toBe(href);
  });

  it.each([
    ['factory.example.com', 'expected the URL of the deployed factory'],
    ['ftp://factory.example.com', 'expected an https:// URL, not ftp:'],
    ['http://factory.example.com', 'plain http to factory.example.com would send the admin token in clear'],
    ['http://10.0.0.5:8080', 'plain http to 10.0.0.5:8080 would send the admin token in clear'],
    ['http://factory.localhost', 'would send the admin token in clear'],
    ['https://operator:secret@factory.example.com', 'without user or password'],
    ['https://factory.example.com/?tenant=acme', 'without a query or a fragment'],
    ['https://factory.example.com/#admin', 'without a query or a fragment'],
  ])('refuses %s', (value, message) => {
    expect(() => parseRemoteUrl(value)).toThrow(message);
  });

  it('knows only the names that cannot leave this machine as loopback', () => {
    expect(['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'LOCALHOST'].every(isLoopbackHost)).toBe(true);
    expect(
      ['localhost.example.com', '128.0.0.1', '0.0.0.0', 'example.com', '::ffff:7f00:1'].some(isLoopbackHost),
    ).toBe(false);
  });

  it('puts API paths under the base path, and prints the base as it was given', () => {
    const base = parseRemoteUrl('https://api.example.com/prod/');
    expect(remoteEndpoint(base, '/admin/tenants').href).toBe('https://api.example.com/prod/admin/tenants');
    expect(remoteEndpoint(parseRemoteUrl('https://f.example.com'), '/admin/tenants').href).toBe(
      'https://f.example.com/admin/tenants',
    );
    expect(remoteText(base)).toBe('https://api.example.com/prod');
    expect(remoteText(parseRemoteUrl('https://f.example.com/'))).toBe('https://f.example.com');
  });
});
