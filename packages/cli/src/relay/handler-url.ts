import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { DeploymentConfig } from '../config/config-schema.ts';

/**
 * Checks the factory's base URL given with `--url`: http(s), and neither a query string (relayfile logs
 * the URL it posts to, and a query is where a secret would be put) nor a fragment.
 */
export function factoryBaseUrl(value: string, option = '--url'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(
      `${option} "${value}" is not a URL (expected e.g. https://factory.example.com)`,
      EXIT_USAGE,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new CliError(`${option} "${value}" must be an http(s) URL`, EXIT_USAGE);
  if (url.username || url.password)
    throw new CliError(`${option} must not carry credentials (user:password@)`, EXIT_USAGE);
  if (url.search || value.includes('?'))
    throw new CliError(
      `${option} must not carry a query string (relayfile logs the URL it posts to)`,
      EXIT_USAGE,
    );
  if (url.hash) throw new CliError(`${option} "${value}" must not carry a #fragment`, EXIT_USAGE);
  return url;
}

/** `<base>/t/<tenant>/webhooks/relayfile`, keeping a path the factory may be served under. */
export function relayfileWebhookUrl(base: URL, tenant: string): string {
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${prefix}/t/${encodeURIComponent(tenant)}/webhooks/relayfile`, base.origin).toString();
}

/** Where `factory start` with this config listens, as a URL this machine can reach. */
export function localFactoryUrl(server: DeploymentConfig['server']): URL {
  // A wildcard address is where it listens, not where to send to.
  const host = ['0.0.0.0', '::', '[::]', ''].includes(server.host) ? '127.0.0.1' : server.host;
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new URL(`http://${bracketed}:${server.port}`);
}
