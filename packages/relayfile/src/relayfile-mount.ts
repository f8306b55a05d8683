import { RelayFileApiError, RelayFileClient } from '@relayfile/sdk';
import type { Mount, MountFile } from '@software-factory/sdk';

export interface RelayfileConnection {
  /** The relayfile API, e.g. `https://api.relayfile.dev`. */
  baseUrl: string;
  /** A workspace-scoped bearer token. Never logged. */
  token: string;
  workspaceId: string;
}

export interface RelayfileMountOptions extends RelayfileConnection {
  /** How long a write may wait for its write-back to the vendor before it counts as failed. */
  confirmTimeoutMs?: number;
  /** The first pause between two looks at a pending write-back; doubles up to 2 s. */
  confirmIntervalMs?: number;
  /** Retries of the client's own requests on 429/5xx and network errors. */
  maxRetries?: number;
  fetch?: typeof fetch;
}

const TERMINAL_FAILURES = new Set(['failed', 'dead_lettered', 'canceled']);

/** A relayfile workspace as a `Mount`, through the real `@relayfile/sdk` client. */
export class RelayfileMount implements Mount {
  readonly client: RelayFileClient;
  readonly workspaceId: string;
  readonly #confirmTimeoutMs: number;
  readonly #confirmIntervalMs: number;

  constructor(options: RelayfileMountOptions) {
    if (!options.workspaceId) throw new Error('RelayfileMount: workspaceId is required');
    if (!options.token) throw new Error('RelayfileMount: token is required');
    this.workspaceId = options.workspaceId;
    this.#confirmTimeoutMs = options.confirmTimeoutMs ?? 30_000;
    this.#confirmIntervalMs = options.confirmIntervalMs ?? 250;
    this.client = new RelayFileClient({
      baseUrl: options.baseUrl,
      token: options.token,
      // The factory reacts to changes: a cached read could hand it the content from before one.
      readCache: false,
      retry: { maxRetries: options.maxRetries ?? 3, baseDelayMs: 100, maxDelayMs: 2_000 },
      ...(options.fetch ? { fetchImpl: options.fetch } : {}),
    });
  }

  async read(path: string): Promise<MountFile | undefined> {
    try {
      const file = await this.client.readFile({ workspaceId: this.workspaceId, path });
      const content =
        file.encoding === 'base64' ? new TextDecoder().decode(base64Bytes(file.content)) : file.content;
      return { path: file.path ?? path, content, revision: file.revision };
    } catch (error) {
      if (error instanceof RelayFileApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Writes the file and, when relayfile queues a write-back to the vendor, waits until that write-back
   * has succeeded; a failed or dead-lettered write-back rejects, naming the vendor's error.
   */
  async write(path: string, content: string): Promise<{ revision?: string }> {
    const queued = await this.client.writeFile({
      workspaceId: this.workspaceId,
      path,
      baseRevision: '*',
      content,
      encoding: 'utf-8',
      contentType: path.endsWith('.json') ? 'application/json' : 'text/plain',
    });
    const revision = { revision: queued.targetRevision };
    const state = queued.writeback?.state;
    if (!queued.writeback || state === 'succeeded') return revision;
    if (state && TERMINAL_FAILURES.has(state)) throw new Error(`write-back of ${path} ${state}`);
    await this.#confirm(path, queued.opId);
    return revision;
  }

  async list(prefix: string): Promise<string[]> {
    const paths: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listTree(this.workspaceId, {
        path: prefix,
        depth: 64,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.entries) if (entry.type === 'file') paths.push(entry.path);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return paths.sort();
  }

  async #confirm(path: string, opId: string): Promise<void> {
    const deadline = Date.now() + this.#confirmTimeoutMs;
    let pause = this.#confirmIntervalMs;
    for (;;) {
      const op = await this.client.getOp(this.workspaceId, opId);
      if (op.status === 'succeeded') return;
      if (TERMINAL_FAILURES.has(op.status))
        throw new Error(`write-back of ${path} ${op.status}${op.lastError ? `: ${op.lastError}` : ''}`);
      if (Date.now() + pause > deadline)
        throw new Error(`write-back of ${path} not confirmed within ${this.#confirmTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 2_000);
    }
  }
}

function base64Bytes(value: string): Uint8Array {
  const binary = atob(value);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
