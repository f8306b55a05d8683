import type { TriageDecision, TriageInput } from '@software-factory/sdk';

/**
 * Where model decisions are kept so a duplicate delivery of the same work item revision does not pay
 * for a second call. Plug a durable store in here (a KV namespace, a table) to share it across
 * instances; a failing cache only costs a call, never the triage.
 */
export interface TriageCache {
  get(key: string): Promise<TriageDecision | undefined>;
  set(key: string, decision: TriageDecision): Promise<void>;
}

/** The most recently used decisions in memory; the oldest is dropped first. */
export class LruTriageCache implements TriageCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, TriageDecision>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<TriageDecision | undefined> {
    const decision = this.#entries.get(key);
    if (decision === undefined) return undefined;
    // Re-inserting moves the key to the end of the Map's insertion order: the most recent.
    this.#entries.delete(key);
    this.#entries.set(key, decision);
    return structuredClone(decision);
  }

  async set(key: string, decision: TriageDecision): Promise<void> {
    if (this.#capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, structuredClone(decision));
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}

/**
 * The cache key of one work item revision: its id and `updatedAt`, the answers so far, and a digest
 * of everything the model is shown (prompt, routes, model), so a changed config or a changed ticket
 * under a reused timestamp can never be served an old decision, and two tenants can share a cache.
 */
export async function revisionKey(input: TriageInput, modelName: string, prompt: string): Promise<string> {
  const answers = input.answers.map((answer) => [answer.messageId, answer.text]);
  const material = JSON.stringify([modelName, prompt, answers]);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(material));
  const hex = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${input.item.id}@${input.item.updatedAt}+${input.answers.length}:${hex}`;
}
