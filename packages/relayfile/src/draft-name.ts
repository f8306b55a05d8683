/**
 * The file name of a create draft (a comment, a message) derived from the write's idempotency key, so a
 * retried write lands on the same file instead of creating a second comment. The key is hashed: it
 * names tenants and work items, which have no business in a vendor-visible file name.
 */
export async function draftFileName(idempotencyKey: string): Promise<string> {
  if (!idempotencyKey) throw new Error('a write needs an idempotency key');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(idempotencyKey));
  const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `factory-${hex.slice(0, 32)}.json`;
}
