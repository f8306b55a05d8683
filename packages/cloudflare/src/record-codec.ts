import type { WorkItemRecord } from '@software-factory/sdk';

/**
 * A SQLite-backed Durable Object refuses any string, BLOB or row over 2 MB. A record carries the work
 * item's description, which a tracker may make large, so its JSON is stored as UTF-8 parts of at most
 * this many bytes, one row each. Cutting bytes (not characters) keeps surrogate pairs intact.
 */
export const RECORD_PART_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeRecord(record: WorkItemRecord): ArrayBuffer[] {
  const bytes = encoder.encode(JSON.stringify(record));
  const parts: ArrayBuffer[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += RECORD_PART_BYTES) {
    parts.push(bytes.slice(offset, offset + RECORD_PART_BYTES).buffer);
  }
  return parts;
}

export function decodeRecord(parts: readonly ArrayBuffer[]): WorkItemRecord {
  const size = parts.reduce((total, part) => total + part.byteLength, 0);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return JSON.parse(decoder.decode(bytes)) as WorkItemRecord;
}
