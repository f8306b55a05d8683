/** A file as a mount holds it. */
export interface MountFile {
  path: string;
  content: string;
  /** Opaque; changes whenever the content changes. */
  revision?: string;
}

/** A change the mount reports: a file created, updated or deleted. */
export interface MountChange {
  eventId: string;
  type: 'file.created' | 'file.updated' | 'file.deleted';
  path: string;
  revision?: string;
  /** The file's content when the change carried it (and it was not truncated). */
  content?: string;
  timestamp?: string;
}

/**
 * The vendors' data as files (relayfile, or a local folder in the same layout). Providers that work
 * through a mount own their paths; the core never sees one.
 */
export interface Mount {
  read(path: string): Promise<MountFile | undefined>;
  /** Resolves only once the write is confirmed (acknowledged or applied); rejects when it failed. */
  write(path: string, content: string): Promise<{ revision?: string }>;
  /** Paths under `prefix`, recursively. */
  list(prefix: string): Promise<string[]>;
  /**
   * Pushes every change under `paths` (globs; `*` one segment, `**` any depth) to `onChange`, in order,
   * until the returned `close()`. Optional: a mount that cannot push (or a runtime that receives changes
   * as webhooks instead) leaves it out. A listener that rejects does not stop the subscription.
   */
  watch?(onChange: MountChangeListener, options?: { paths?: readonly string[] }): MountSubscription;
}

export type MountChangeListener = (change: MountChange) => void | Promise<void>;

export interface MountSubscription {
  close(): Promise<void>;
}
