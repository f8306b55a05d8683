import { hmacSha256Hex, timingSafeEqual } from '../ingress/hmac.ts';
import type { StateStore } from '../ports/state-store.ts';

/** The tenant document holding a tenant's session epoch and its revoked sessions. */
export const SESSIONS_DOCUMENT = 'admin-sessions';
/** How long a dashboard session lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Revoked session ids kept per tenant; past it, a logout ends every session of the tenant instead. */
const MAX_REVOKED = 1000;
const WRITE_ATTEMPTS = 10;
/** How far a session's issue time may be ahead of this instance's clock (another instance's skew). */
const CLOCK_SKEW_MS = 60_000;

interface SessionsDocument {
  /** Sessions issued under an older epoch are over. */
  epoch: number;
  /** Session id → its expiry; each logout adds its own. */
  revoked: Record<string, number>;
}

/** A verified session. */
export interface Session {
  id: string;
  issuedAt: number;
  expiresAt: number;
  epoch: number;
}

async function readSessions(
  store: StateStore,
  tenant: string,
): Promise<{ value: SessionsDocument; version: number }> {
  const document = await store.getDocument(tenant, SESSIONS_DOCUMENT);
  const value = document?.value as Partial<SessionsDocument> | undefined;
  return {
    value: { epoch: value?.epoch ?? 0, revoked: { ...(value?.revoked ?? {}) } },
    version: document?.version ?? 0,
  };
}

async function updateSessions(
  store: StateStore,
  tenant: string,
  change: (sessions: SessionsDocument) => SessionsDocument,
): Promise<SessionsDocument> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const { value, version } = await readSessions(store, tenant);
    const next = change(value);
    if (await store.putDocument(tenant, SESSIONS_DOCUMENT, next, version)) return next;
  }
  throw new Error(`the sessions of tenant ${tenant} changed ${WRITE_ATTEMPTS} times while being updated`);
}

/**
 * Ends every dashboard session of `tenant`, on every instance: the tenant's session epoch moves on, so
 * every cookie issued before is refused. Returns the new epoch. (`factory sessions revoke` calls this.)
 */
export async function revokeAllSessions(store: StateStore, tenant: string): Promise<number> {
  const next = await updateSessions(store, tenant, (sessions) => ({
    epoch: sessions.epoch + 1,
    revoked: {},
  }));
  return next.epoch;
}

/**
 * Dashboard sessions of one tenant. The cookie is `v1.<id>.<issuedAt>.<expiresAt>.<epoch>.<mac>`, the
 * MAC an HMAC-SHA256 under a key derived from the SHA-256 of the tenant's admin token (the one form of
 * the token every tenant has, kept in config or only as a hash): changing the token ends every session;
 * logging out revokes the session's id until it would have expired; `revokeAllSessions` moves the
 * tenant's epoch on.
 */
export class SessionCookies {
  readonly #store: StateStore;

  constructor(store: StateStore) {
    this.#store = store;
  }

  /** A new session's cookie value. */
  async issue(tenant: string, adminTokenSha256: string, now: number): Promise<string> {
    const { value } = await readSessions(this.#store, tenant);
    const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
      byte.toString(16).padStart(2, '0'),
    ).join('');
    const payload = `v1.${id}.${now}.${now + SESSION_TTL_MS}.${value.epoch}`;
    return `${payload}.${await mac(tenant, adminTokenSha256, payload)}`;
  }

  /** The session a cookie holds, if it is authentic, current, not revoked and of the current epoch. */
  async verify(
    tenant: string,
    adminTokenSha256: string,
    cookie: string | undefined,
    now: number,
  ): Promise<Session | undefined> {
    const session = await this.#authentic(tenant, adminTokenSha256, cookie, now);
    if (!session) return undefined;
    const { value } = await readSessions(this.#store, tenant);
    if (session.epoch !== value.epoch || value.revoked[session.id] !== undefined) return undefined;
    return session;
  }

  /** Ends the cookie's session (if it is one): its id is revoked until it would have expired. */
  async revoke(
    tenant: string,
    adminTokenSha256: string,
    cookie: string | undefined,
    now: number,
  ): Promise<void> {
    const session = await this.#authentic(tenant, adminTokenSha256, cookie, now);
    if (!session) return;
    await updateSessions(this.#store, tenant, (sessions) => {
      const revoked = Object.fromEntries(
        Object.entries(sessions.revoked).filter(([, expiresAt]) => expiresAt > now),
      );
      // Too many live revocations to keep: end every session of the tenant instead.
      if (Object.keys(revoked).length >= MAX_REVOKED) return { epoch: sessions.epoch + 1, revoked: {} };
      revoked[session.id] = session.expiresAt;
      return { epoch: sessions.epoch, revoked };
    });
  }

  async #authentic(
    tenant: string,
    adminTokenSha256: string,
    cookie: string | undefined,
    now: number,
  ): Promise<Session | undefined> {
    const match = /^(v1\.([0-9a-f]{32})\.(\d{1,15})\.(\d{1,15})\.(\d{1,15}))\.([0-9a-f]{64})$/.exec(
      cookie ?? '',
    );
    if (!match) return undefined;
    const [, payload, id, issuedText, expiresText, epochText, signature] = match as unknown as string[];
    if (!timingSafeEqual(signature as string, await mac(tenant, adminTokenSha256, payload as string)))
      return undefined;
    const session = {
      id: id as string,
      issuedAt: Number(issuedText),
      expiresAt: Number(expiresText),
      epoch: Number(epochText),
    };
    if (session.expiresAt <= now || session.issuedAt > now + CLOCK_SKEW_MS) return undefined;
    if (session.expiresAt - session.issuedAt > SESSION_TTL_MS) return undefined;
    return session;
  }
}

/** The MAC of a session: its key derived from the admin token's hash, bound to the tenant. */
async function mac(tenant: string, adminTokenSha256: string, payload: string): Promise<string> {
  const key = await hmacSha256Hex(adminTokenSha256, `factory-session-key:${tenant}`);
  return hmacSha256Hex(key, `${tenant}:${payload}`);
}
