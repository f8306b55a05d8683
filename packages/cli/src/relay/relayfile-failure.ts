import { errorMessage } from '@software-factory/sdk';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import type { RelayfileTenant } from './relayfile-tenants.ts';

/**
 * A failed call to relayfile as one line that names the tenant and workspace. It shows the status and
 * the message relayfile answered, with the tenant's token and secret scrubbed should either ever be echoed.
 */
export function relayfileFailure(tenant: RelayfileTenant, error: unknown, notFound?: string): CliError {
  const status = statusOf(error);
  if (status === 404 && notFound) return new CliError(`tenant ${tenant.id}: ${notFound}`, EXIT_USAGE);
  if (status === 401 || status === 403)
    return new CliError(
      `tenant ${tenant.id}: relayfile refused the token for workspace ${tenant.workspace} (${status}); check the variable mount.token names`,
    );
  const where =
    status === undefined ? `cannot reach relayfile at ${tenant.baseUrl}` : `relayfile answered ${status}`;
  const message = scrub(errorMessage(error), [tenant.token, tenant.secret]);
  return new CliError(`tenant ${tenant.id}: ${where}: ${message}`, EXIT_FAILURE);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce(
    (scrubbed, secret) => (secret ? scrubbed.split(secret).join('[redacted]') : scrubbed),
    text,
  );
}
