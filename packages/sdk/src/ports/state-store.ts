import type { WorkItemRecord, WorkItemStatus } from '../record.ts';

/** Secondary lookups from an outside id to a work item id. */
export type IndexKind = 'thread' | 'agent' | 'key';

/** A small per-tenant document (e.g. the scheduling document) and its version. */
export interface TenantDocument {
  value: unknown;
  /** Starts at 1; 0 means "absent" when writing. */
  version: number;
}

/** A lookup from an outside id (a thread, an agent, a work item key) to the record it is written with. */
export interface Lookup {
  kind: IndexKind;
  value: string;
}

/** A tenant document written in the same atomic step as a record, under its own compare-and-set. */
export interface DocumentWrite {
  name: string;
  value: unknown;
  /** The stored version this write replaces; 0: the document must not exist yet. */
  expectedVersion: number;
}

/**
 * One atomic write: a record's next version, and with it (both or neither) a tenant document and the
 * lookups that lead to the record.
 */
export interface RecordCommit {
  /**
   * Stored only if the stored record's version is `record.version - 1`; version 1 only if there is none.
   */
  record: WorkItemRecord;
  document?: DocumentWrite;
  /** Written unconditionally (they point at this record from now on). */
  lookups?: readonly Lookup[];
  /**
   * The keys of the delivery that made this change (`rememberEvent`'s), kept until their `expiresAt`
   * whether or not they are remembered now (an existing one is overwritten). The app remembers a delivery
   * only for a short claim while it is handled, so one whose handling died (a crash, the store going
   * away) is handled when the sender retries; the change it made, once stored, keeps it for the whole
   * delivery memory. Written with the record, or not at all.
   */
  deliveries?: readonly DeliveryMemory[];
}

/** What `rememberEvent` found: no live record of the key (it is recorded now), or the live one's expiry. */
export type EventMemory = { fresh: true } | { fresh: false; expiresAt: number };

/** When `rememberEvent` is asked (`now`) and until when a fresh key is kept (`expiresAt`). */
export interface EventTimes {
  now: number;
  expiresAt: number;
}

/** A delivery key kept by a commit, until when. */
export interface DeliveryMemory {
  key: string;
  expiresAt: number;
}

/** A record and a tenant document, read in one round trip. */
export interface RecordAndDocument {
  record: WorkItemRecord | undefined;
  document: TenantDocument | undefined;
}

/** What a lookup leads to: the work item id (undefined: the lookup leads nowhere), its record, a document. */
export interface FoundRecord extends RecordAndDocument {
  workItemId: string | undefined;
}

/** Which records `listRecords` reads: only those in `statuses` when given, a page of `limit` from `cursor`. */
export interface RecordQuery {
  statuses?: readonly WorkItemStatus[];
  limit?: number;
  cursor?: string;
}

export interface RecordPage {
  records: WorkItemRecord[];
  /** Pass back to read the next page; absent on the last one. */
  cursor?: string;
}

/**
 * Durable state, every key scoped by tenant. The core needs little: one record per work item (the state
 * machine, under compare-and-set), one scheduling document per tenant that is written atomically with
 * the record whose change changes it (`commit`), lookups from outside ids to records, de-duplication of
 * deliveries, and a few small documents of its own. Each method below says which of these it serves.
 *
 * Times (`now`, `expiresAt`) are passed in, so a store never reads a clock of its own.
 */
export interface StateStore {
  /** Health checks (`/healthz`, `factory check`): resolves when the store is reachable, rejects why not. */
  ping(): Promise<void>;

  // Work item records: the state machine, guarded by version.

  /**
   * One record alone: where the schedule is not needed (a blocker's status, the tick's repair of a slot
   * no record claims, status views and tests).
   */
  getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined>;
  /**
   * The record and a tenant document (the scheduling document) in one round trip: everything a handler
   * reads before deciding an event. The two may be read at slightly different moments; every write
   * that depends on them is a compare-and-set, so a stale pair only costs a retry.
   */
  load(tenant: string, workItemId: string, documentName: string): Promise<RecordAndDocument>;
  /**
   * The only way a record is written: its next version and, atomically with it, a tenant document and
   * lookups; either all of it is stored, or nothing. True if stored; false if the record's or the
   * document's version was not the expected one. This is what lets the scheduling state (queue, slots,
   * breaker) change with the record that causes the change, so no crash can leave the two apart, and
   * a lookup never leads to a record that was not stored.
   */
  commit(tenant: string, change: RecordCommit): Promise<boolean>;
  /**
   * Records, optionally only those in `statuses`, ordered by work item id: status views, the optional
   * output sweep, and building a tenant's schedule when it has none. May lag behind writes.
   */
  listRecords(tenant: string, query?: RecordQuery): Promise<RecordPage>;
  /**
   * Records whose `wakeAt` is at or before `now`, earliest first: what the tick must look at (a lease
   * run out, a wait expired, an agent check due), so it never reads the rest. May lag behind writes.
   */
  listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]>;

  /**
   * An event that names a thread, an agent or a work item key instead of the item (a reply, an agent's
   * exit, an output), and a blocker named by its key: which record it is about, read with the record and
   * the tenant document in one round trip where the store can join them (`load` after the lookup
   * otherwise). A lookup that leads nowhere gives all three undefined: such an event is ignored. Lookups
   * are written by `commit` with the record they lead to.
   */
  find(tenant: string, lookup: Lookup, documentName: string): Promise<FoundRecord>;

  // De-duplication of deliveries: a sender's retry must not act twice.
  /**
   * Records `key` until `expiresAt` if no live record of it exists (an expired one counts as absent):
   * `{ fresh: true }`. Otherwise changes nothing and says until when the live one lasts: the caller has
   * seen this delivery before. The app claims a delivery this way for a short while; the commit of the
   * change it makes keeps it longer (`RecordCommit.deliveries`), so the expiry tells a delivery being
   * handled (or whose handling died) from one that is done.
   */
  rememberEvent(tenant: string, key: string, options: EventTimes): Promise<EventMemory>;
  /** Forgets `key`, so a delivery whose handling failed is processed when the sender retries it. */
  forgetEvent(tenant: string, key: string): Promise<void>;
  /**
   * Moves a claim on `key` on to `expiresAt`, only while it is a claim: live at `now` and ending before
   * `expiresAt`. A kept delivery (which ends later), an expired key and a forgotten one are left as they
   * are. True if renewed. How a handling that runs long keeps its claim, so that the claim can be short
   * and a delivery whose handling died is handled on the sender's next retry.
   */
  renewEvent(tenant: string, key: string, options: EventTimes): Promise<boolean>;
  /**
   * Keeps `key` until `expiresAt` whatever is recorded of it (a live claim is overwritten), in one
   * write: how the app keeps a delivery handled without storing a change (ignored, or nothing to do),
   * as `RecordCommit.deliveries` keeps one that stored a change. Optional: without it the app forgets
   * the key and remembers it again, two writes.
   */
  keepEvent?(tenant: string, key: string, expiresAt: number): Promise<void>;

  // Tenant documents: small per-tenant state, guarded by version (the schedule between record writes,
  // tenant configuration, sealed credentials, sessions, throttles).
  /** A document on its own: configuration, credentials, status views, the breaker's health checks. */
  getDocument(tenant: string, name: string): Promise<TenantDocument | undefined>;
  /**
   * Stores `value` with version `expectedVersion + 1` only if the stored version equals `expectedVersion`
   * (0: only if there is none). True if stored. For a document changed without a record (the breaker's
   * verdict on a spawn, a repaired schedule entry, configuration and credentials).
   */
  putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean>;
}

/**
 * The version a commit expects to replace (`record.version - 1`; 0: none stored yet). A version that is
 * not a whole number of at least 1 is refused before anything is written.
 */
export function expectedRecordVersion(record: WorkItemRecord): number {
  if (!Number.isSafeInteger(record.version) || record.version < 1)
    throw new RangeError(`record ${record.workItemId}: version must be a whole number of at least 1`);
  return record.version - 1;
}

/**
 * What `find` answers once a store has followed the lookup to a work item id: nothing when it leads
 * nowhere, else the item's record and the document as the store's `load` reads them.
 */
export async function loadFound(
  store: Pick<StateStore, 'load'>,
  tenant: string,
  workItemId: string | undefined,
  documentName: string,
): Promise<FoundRecord> {
  if (workItemId === undefined) return { workItemId, record: undefined, document: undefined };
  return { workItemId, ...(await store.load(tenant, workItemId, documentName)) };
}
