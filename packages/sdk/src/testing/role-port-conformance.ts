import type { Connectable, WriteOptions } from '../ports/connection.ts';
import { type ConnectionClaims, connectionChecks, type VendorControls } from './connection-conformance.ts';
import { describeChecks, type PortCheck } from './port-conformance.ts';

/**
 * Registers one role port's suite for an implementation: `name` for the titles, `open` called once per
 * check (and its `close` after it), `claims` choosing the connection checks.
 */
export type RolePortConformance<World extends VendorControls> = (
  name: string,
  open: () => Promise<World>,
  claims?: ConnectionClaims,
) => void;

/**
 * The suite of a role port (WorkItemProvider, ClarificationChannel, OutputTarget): its own checks and the
 * connection checks an implementation's claims call for, as `<name> conforms to <port>`.
 */
export function rolePortConformance<World extends VendorControls>(
  port: string,
  checks: readonly PortCheck<World>[],
  portOf: (world: World) => Connectable,
): RolePortConformance<World> {
  return (name, open, claims = {}) =>
    describeChecks(`${name} conforms to ${port}`, [...checks, ...connectionChecks(portOf, claims)], open);
}

/** The write options of the factory's write `intent` for the suites' one item, as the core keys them. */
export function conformanceKey(intent: string): WriteOptions {
  return { idempotencyKey: `conformance-tenant/item/r1/${intent}` };
}

/**
 * The write options of an effect whose performer's deadline has passed (its lease is ending: another
 * performer may take the effect over), so the write must start nothing.
 */
export function pastDeadline(intent: string): WriteOptions {
  const controller = new AbortController();
  controller.abort(new DOMException('the effect lease is ending', 'TimeoutError'));
  return { ...conformanceKey(intent), signal: controller.signal };
}
