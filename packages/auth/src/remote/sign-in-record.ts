import type { StateStore } from '@software-factory/sdk';
import * as z from 'zod/mini';

/**
 * One provider's latest remote sign-in, kept as a tenant document. It holds nothing a reader of the
 * store could use: the `state` only as its SHA-256, the PKCE verifier or the device code sealed to
 * this tenant and provider.
 */
const signInRecordSchema = z.object({
  flow: z.enum(['authorization-code', 'device']),
  /** Hex SHA-256 of the `state` sent to the vendor (authorization code only). */
  stateSha256: z.optional(z.string()),
  /** The PKCE verifier (authorization code) or the device code, sealed with `sealContext`. */
  sealed: z.object({ v: z.literal(1), iv: z.string(), data: z.string() }),
  scopes: z.array(z.string()),
  /** The callback the authorization URL named; the code exchange must repeat it. */
  redirectUri: z.optional(z.string()),
  startedAt: z.number(),
  /** Epoch milliseconds after which the sign-in is refused. */
  expiresAt: z.number(),
  /** `used`: a callback took it and is exchanging the code (single use starts here). */
  status: z.enum(['pending', 'used', 'connected', 'failed']),
  /** Why it failed, safe to show: names the vendor's error, never a token or code. */
  reason: z.optional(z.string()),
  /** Device grant: how often the vendor may be asked, and when next. */
  intervalSeconds: z.optional(z.number()),
  nextPollAt: z.optional(z.number()),
});

export type SignInRecord = z.infer<typeof signInRecordSchema>;

/** The record and the version a compare-and-set must name; `record` is undefined when unreadable. */
export interface StoredSignIn {
  record: SignInRecord | undefined;
  version: number;
}

/** The tenant document a provider's sign-in lives in: one per provider, so a new one replaces the old. */
export function signInDocumentName(provider: string): string {
  return `connect:${provider}`;
}

/** The associated data a sign-in's secret is sealed with: moved to another tenant or provider, it does not open. */
export function sealContext(tenant: string, provider: string): string[] {
  return ['connect', tenant, provider];
}

export async function readSignIn(
  store: StateStore,
  tenant: string,
  provider: string,
): Promise<StoredSignIn | undefined> {
  const document = await store.getDocument(tenant, signInDocumentName(provider));
  if (!document) return undefined;
  const parsed = signInRecordSchema.safeParse(document.value);
  return { record: parsed.success ? parsed.data : undefined, version: document.version };
}

/** Stores `record` if the document is still at `expectedVersion`; the new version, or undefined if it moved. */
export async function writeSignIn(
  store: StateStore,
  tenant: string,
  provider: string,
  record: SignInRecord,
  expectedVersion: number,
): Promise<number | undefined> {
  const stored = await store.putDocument(tenant, signInDocumentName(provider), record, expectedVersion);
  return stored ? expectedVersion + 1 : undefined;
}

/** How many times a new sign-in re-reads before giving up on a document that keeps changing under it. */
const REPLACE_ATTEMPTS = 5;

/** Stores `record` in place of whatever sign-in is there (a pending one included). */
export async function replaceSignIn(
  store: StateStore,
  tenant: string,
  provider: string,
  record: SignInRecord,
): Promise<void> {
  for (let attempt = 0; attempt < REPLACE_ATTEMPTS; attempt++) {
    const current = await store.getDocument(tenant, signInDocumentName(provider));
    if (await store.putDocument(tenant, signInDocumentName(provider), record, current?.version ?? 0)) return;
  }
  throw new Error(
    `could not record the ${provider} sign-in for tenant ${tenant}: its document kept changing; try again`,
  );
}
