import { InvalidArgumentError } from 'commander';

/**
 * A `--remote <url>` value: the deployed factory's base URL. https, or plain http to this machine only:
 * every admin call carries a bearer token, which must not cross a network in clear. No user:password, no
 * query or fragment (they would be dropped or sent somewhere they do not belong); a path is kept, for a
 * deployment behind a prefix (an API Gateway stage).
 */
export function parseRemoteUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      'expected the URL of the deployed factory, such as https://factory.example.com.',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError(`expected an https:// URL, not ${url.protocol}.`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    throw new InvalidArgumentError(
      `plain http to ${url.host} would send the admin token in clear; use https:// (plain http is only for this machine: localhost, 127.0.0.1, [::1]).`,
    );
  if (url.username || url.password)
    throw new InvalidArgumentError(
      'expected a URL without user or password; the token comes from the environment.',
    );
  if (url.search || url.hash) throw new InvalidArgumentError('expected a URL without a query or a fragment.');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** True for a name or address that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  // Only the names that cannot resolve elsewhere: not `*.localhost`, which a resolver may send out.
  if (host === 'localhost' || host === '::1') return true;
  return /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The URL of `path` (which starts with `/`) under the deployment's base URL. */
export function remoteEndpoint(base: URL, path: string): URL {
  const url = new URL(base);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}

/** The base URL as the person wrote it, without a trailing slash: for the commands the CLI prints. */
export function remoteText(base: URL): string {
  return base.href.replace(/\/+$/, '');
}
