import { expect } from 'vitest';
import type { Connectable } from '../ports/connection.ts';
import type { OpenedWorld, PortCheck } from './port-conformance.ts';

/** What a role port's world lets the suite do to the port's vendor, to see what `checkConnection` says. */
export interface VendorControls extends OpenedWorld {
  /** Makes the vendor unreachable from now on (its loopback server stops). Needed with `ownVendor`. */
  stopVendor?(): Promise<void>;
  /** The port's own credential. Needed with `ownCredential`. */
  credential?: {
    /** From now on the port has no credential (it was never connected, or was signed out). */
    remove(): void | Promise<void>;
    /** From now on the vendor refuses the port's credential (it was revoked). */
    revoke(): void | Promise<void>;
  };
}

/** What a role port depends on; the suite registers the connection checks that follow from it. */
export interface ConnectionClaims {
  /**
   * The port holds a credential of its own, which a sign-in obtains. False when another party holds the
   * vendor's credential for it (relayfile's sync, the intake it writes through). Default true.
   */
  ownCredential?: boolean;
  /** The port calls a vendor of its own. False when it only writes through another port. Default true. */
  ownVendor?: boolean;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the opened world lacks ${what}, which the claims require`);
  return value;
}

/** The `checkConnection` checks that apply to a port with `claims`; `port` picks the port out of a world. */
export function connectionChecks<World extends VendorControls>(
  port: (world: World) => Connectable,
  claims: ConnectionClaims = {},
): PortCheck<World>[] {
  const ownCredential = claims.ownCredential ?? true;
  const ownVendor = claims.ownVendor ?? true;
  const checks: PortCheck<World>[] = [
    {
      name: 'checkConnection reports connected, and no required scope missing, when the vendor accepts it',
      async run(world) {
        const connectable = port(world);
        const status = await connectable.checkConnection();
        expect(status.state, JSON.stringify(status)).toBe('connected');
        if (status.state === 'connected' && status.grantedScopes)
          expect(status.grantedScopes).toEqual(expect.arrayContaining([...connectable.requiredScopes]));
      },
    },
  ];
  if (ownCredential)
    checks.push(
      {
        name: 'checkConnection reports needs-auth, with a reason, when the port has no credential',
        async run(world) {
          const credential = required(world.credential, 'credential');
          await credential.remove();
          const status = await port(world).checkConnection();
          expect(status).toEqual({ state: 'needs-auth', reason: expect.any(String) });
        },
      },
      {
        name: 'checkConnection reports needs-auth, with a reason, when the vendor refuses the credential',
        async run(world) {
          const credential = required(world.credential, 'credential');
          await credential.revoke();
          const status = await port(world).checkConnection();
          expect(status).toEqual({ state: 'needs-auth', reason: expect.any(String) });
        },
      },
    );
  else
    checks.push({
      name: 'holds no credential of its own, as declared, so it requires no scope',
      async run(world) {
        expect(port(world).requiredScopes).toEqual([]);
      },
    });
  if (ownVendor)
    checks.push({
      name: 'checkConnection reports an error, and does not throw, when the vendor cannot be reached',
      async run(world) {
        await required(world.stopVendor, 'stopVendor').call(world);
        const status = await port(world).checkConnection();
        expect(status).toEqual({ state: 'error', message: expect.any(String) });
      },
    });
  return checks;
}
