// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions show ${…} references as they are written.
import path from 'node:path';
import { secretReference } from '@software-factory/providers/registry';
import { durationSchema } from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { SecretResolver } from './secret-reference.ts';

/** A postgres:// URL; checked after the reference resolved, so the message never repeats the value. */
function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const timeout = (what: string) => z.optional(durationSchema).check(z.describe(what));

/**
 * `stateStore:` of `factory.config.yaml`: SQLite (one process), memory (a demo), or PostgreSQL (several
 * `factory start` replicas over one database). The Postgres URL holds a password, so it is a secret
 * reference (`${DATABASE_URL}`), never written in the file.
 */
export function stateStoreSchema(secrets: SecretResolver) {
  const postgres = z
    .strictObject({
      type: z.literal('postgres'),
      url: z
        .pipe(
          secretReference(secrets, 'DATABASE_URL'),
          z.string().check(
            z.refine(isPostgresUrl, {
              error:
                'the variable it names does not hold a postgres URL: expected postgres://user:password@host:port/database',
            }),
          ),
        )
        .check(
          z.describe(
            'postgres://user:password@host:port/database, as a reference to the environment variable that holds it: ${DATABASE_URL}.',
          ),
        ),
      ssl: z
        .optional(z.enum(['disable', 'require', 'verify-full']))
        .check(
          z.describe(
            'TLS to the database: disable, require (encrypted, the certificate not checked) or verify-full (the certificate checked against `ca`, or the system roots, and the host name). Overrides sslmode in the URL; left out, the URL decides.',
          ),
        ),
      ca: z
        .optional(z.string().check(z.minLength(1)))
        .check(
          z.describe(
            "A PEM file of the certificates that sign the server's, relative to this file; with ssl: verify-full.",
          ),
        ),
      poolSize: z
        .optional(z.int().check(z.minimum(1), z.maximum(1_000)))
        .check(z.describe('The most connections each `factory start` opens (default 10).')),
      connectTimeout: timeout('How long opening a connection may take (default 5s).'),
      statementTimeout: timeout('How long one statement may run before the server cancels it (default 10s).'),
      idleTimeout: timeout('An idle connection is closed after this long (default 30s).'),
    })
    .check(
      z.superRefine((store, context) => {
        if (store.ca !== undefined && store.ssl !== 'verify-full')
          context.addIssue({
            code: 'custom',
            path: ['ca'],
            message: 'ca is used only to verify the server: set ssl: verify-full with it',
          });
      }),
    );

  return z
    ._default(
      z.discriminatedUnion('type', [
        z.strictObject({
          type: z.literal('sqlite'),
          path: z
            ._default(z.string().check(z.minLength(1)), '.factory/state.sqlite')
            .check(z.describe('Relative to this file.')),
        }),
        z.strictObject({ type: z.literal('memory') }),
        postgres,
      ]),
      { type: 'sqlite', path: '.factory/state.sqlite' },
    )
    .check(
      z.describe(
        'Where the state of every tenant lives; one store serves them all, keyed by tenant. sqlite: one `factory start`; postgres: any number of them over one database.',
      ),
    );
}

type StateStoreConfig = z.output<ReturnType<typeof stateStoreSchema>>;

/** The store's paths (the SQLite file, the Postgres CA file) made absolute against the config's folder. */
export function withAbsolutePaths(store: StateStoreConfig, baseDir: string): StateStoreConfig {
  if (store.type === 'sqlite') return { type: 'sqlite', path: path.resolve(baseDir, store.path) };
  if (store.type === 'postgres' && store.ca !== undefined)
    return { ...store, ca: path.resolve(baseDir, store.ca) };
  return store;
}
