/** Parses a mounted JSON file into a plain object; undefined when it is not one. */
export function parseJsonObject(content: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(content);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function recordField(
  record: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  const value = record?.[key];
  return isRecord(value) ? value : undefined;
}

/** A mounted record: the vendor object, and whether relayfile marked it deleted. */
export interface MountedRecord {
  record: Record<string, unknown>;
  deleted: boolean;
}

/**
 * The vendor object in a file relayfile mounts. relayfile's cloud sync writes each record wrapped as
 * `{ provider, objectType, objectId, deleted, payload, connectionId? }` (relayfile-adapters, the
 * adapters' `emit-auxiliary-files.ts` `renderContent`), while an adapter's direct ingest and a local
 * folder hold the bare object; both are read, and the wrapper's `deleted` is kept.
 */
export function parseMountedRecord(content: string): MountedRecord | undefined {
  const value = parseJsonObject(content);
  if (!value) return undefined;
  const payload = recordField(value, 'payload');
  if (payload && typeof value.objectType === 'string')
    return { record: payload, deleted: value.deleted === true };
  return { record: value, deleted: false };
}
