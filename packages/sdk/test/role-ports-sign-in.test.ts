import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ClarificationChannel } from '../src/ports/clarification-channel.ts';
import type { Connectable } from '../src/ports/connection.ts';
import type { OutputTarget } from '../src/ports/output-target.ts';
import type { WorkItemProvider } from '../src/ports/work-item-provider.ts';

const PORTS = join(import.meta.dirname, '..', 'src', 'ports');

/** A sign-in in a port: a `connect` member, or the context an interactive flow is given. */
const SIGN_IN = /\bconnect\s*[(:?]|\bConnectContext\b|\bopenUrl\b/;

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('the role ports only say whether they are connected; signing in is the auth package’s part', () => {
  it('Connectable is the provider name, its required scopes and checkConnection (the type checker holds it)', () => {
    expectTypeOf<keyof Connectable>().toEqualTypeOf<'provider' | 'requiredScopes' | 'checkConnection'>();
    expectTypeOf<Extract<keyof WorkItemProvider, 'connect'>>().toBeNever();
    expectTypeOf<Extract<keyof ClarificationChannel, 'connect'>>().toBeNever();
    expectTypeOf<Extract<keyof OutputTarget, 'connect'>>().toBeNever();
  });

  it('no port file declares a sign-in method or an interactive context', () => {
    const files = readdirSync(PORTS).filter((name) => name.endsWith('.ts'));
    expect(files).toEqual(expect.arrayContaining(['connection.ts', 'credential-store.ts']));
    const hits = files.filter((name) =>
      SIGN_IN.test(withoutComments(readFileSync(join(PORTS, name), 'utf8'))),
    );
    expect(hits).toEqual([]);
  });

  it('would notice one (the check can fail), and not mistake a comment or checkConnection for one', () => {
    expect(
      SIGN_IN.test(withoutComments('  connect(context: ConnectContext): Promise<ConnectionStatus>;')),
    ).toBe(true);
    expect(SIGN_IN.test(withoutComments('  connect?: (tenant: string) => Promise<void>;'))).toBe(true);
    expect(
      SIGN_IN.test(withoutComments('  checkConnection(): Promise<ConnectionStatus>; // not connect()')),
    ).toBe(false);
    expect(SIGN_IN.test(withoutComments('  connector?: RemoteConnector;'))).toBe(false);
  });
});
