/**
 * A short, stable name for the agent of one spawn intent: readable (it starts with the work item key)
 * and unique (it ends with a hash of the idempotency key, which carries tenant, item, run and attempt).
 */
export async function agentNameFor(
  workItemKey: string,
  idempotencyKey: string,
  prefix = 'factory',
): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(idempotencyKey)),
  );
  const hash = Array.from(digest.slice(0, 6), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const slug = workItemKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  return [prefix, slug, hash].filter(Boolean).join('-');
}
