import type { Mount, MountChange, MountFile } from '@software-factory/sdk';

// The relayfile paths whose writes are requests to the vendor (see @software-factory/relayfile's mount providers).
const MESSAGE_DRAFT = /^\/slack\/channels\/([^/]+)\/messages\/([^/]+)\.json$/;
const REPLY_DRAFT = /^\/slack\/channels\/([^/]+)\/messages\/([^/]+)\/replies\/([^/]+)\.json$/;
const ISSUE_FILE = /^\/linear\/issues\/[^/]+__[^/]+\.json$/;

/** A mount that can push its changes, like `DirectoryMount`. */
export type WatchableMount = Mount & Required<Pick<Mount, 'watch'>>;

export interface LocalWritebackOptions {
  /** The tracker state ids the intake writes, and what each one means. */
  stateIds: { dispatched: string; done: string };
  /** Epoch milliseconds; message timestamps and `updatedAt` come from it. */
  now?: () => number;
}

/**
 * A local folder standing in for the vendors. Through relayfile, a write is a request: a chat draft is
 * posted and rewritten with the message it created, a `stateId` written to an issue moves the issue.
 * Nobody does that for a plain folder, so this mount does it as part of the write, the way relayfile's
 * write-back would; everything else passes through. It is what lets `factory demo` and
 * `factory start --mount` run the mount-backed providers offline.
 */
export class LocalWritebackMount implements WatchableMount {
  readonly #inner: WatchableMount;
  readonly #states: Map<string, { id: string; name: string; type: string }>;
  readonly #now: () => number;
  #lastTs = 0;

  constructor(inner: WatchableMount, options: LocalWritebackOptions) {
    this.#inner = inner;
    this.#now = options.now ?? Date.now;
    this.#states = new Map([
      [
        options.stateIds.dispatched,
        { id: options.stateIds.dispatched, name: 'In Progress', type: 'started' },
      ],
      [options.stateIds.done, { id: options.stateIds.done, name: 'Done', type: 'completed' }],
    ]);
  }

  read(path: string): Promise<MountFile | undefined> {
    return this.#inner.read(path);
  }

  list(prefix: string): Promise<string[]> {
    return this.#inner.list(prefix);
  }

  watch(
    onChange: (change: MountChange) => void | Promise<void>,
    options?: { paths?: readonly string[] },
  ): { close(): Promise<void> } {
    return this.#inner.watch(onChange, options);
  }

  async write(path: string, content: string): Promise<{ revision?: string }> {
    const draft = parseObject(content);
    if (draft && (MESSAGE_DRAFT.test(path) || REPLY_DRAFT.test(path)) && draft.created === undefined) {
      const channel = (MESSAGE_DRAFT.exec(path) ?? REPLY_DRAFT.exec(path))?.[1] ?? '';
      const ts = this.#nextTs();
      const posted: Record<string, unknown> = { ...draft, created: ts, ts, user: 'factory' };
      // Where a person answers a new question: the thread's replies folder, in relayfile's layout.
      if (MESSAGE_DRAFT.test(path))
        posted.replies = `/slack/channels/${channel}/threads/${ts.replace('.', '_')}/replies/`;
      return this.#inner.write(path, JSON.stringify(posted, null, 2));
    }
    if (draft && ISSUE_FILE.test(path) && typeof draft.stateId === 'string' && draft.title === undefined) {
      return this.#inner.write(path, await this.#moveIssue(path, draft.stateId));
    }
    return this.#inner.write(path, content);
  }

  async #moveIssue(path: string, stateId: string): Promise<string> {
    const issue = parseObject((await this.#inner.read(path))?.content ?? '');
    const state = this.#states.get(stateId);
    if (!issue || !state) throw new Error(`cannot move ${path} to state ${stateId}: no such issue or state`);
    const previous = typeof issue.updatedAt === 'string' ? Date.parse(issue.updatedAt) : Number.NaN;
    // The tracker stamps the change; it must sort after the snapshot it changed.
    const updatedAt = new Date(
      Math.max(this.#now(), Number.isNaN(previous) ? 0 : previous + 1),
    ).toISOString();
    return JSON.stringify({ ...issue, state, updatedAt }, null, 2);
  }

  /** Slack-style `seconds.micros` timestamps, unique and increasing within this process. */
  #nextTs(): string {
    const micros = Math.max(this.#now() * 1000, this.#lastTs + 1);
    this.#lastTs = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }
}

function parseObject(content: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
