import { interpretMountChange, type MountEventSource, pathGlobsOf } from '@software-factory/relayfile';
import type { FactoryEvent, HandleResult, Logger, MountChange } from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import type { WatchableMount } from './local-writeback-mount.ts';

export interface MountFeedOptions {
  tenant: string;
  mount: WatchableMount;
  sources: readonly MountEventSource[];
  handle: (event: FactoryEvent) => Promise<HandleResult>;
  logger: Logger;
}

/**
 * Feeds a local folder's changes to one tenant's factory: pushed as they happen, and replayed whole by
 * `catchUp()` (at start-up, and on every tick), because a folder keeps no change log to resume from and
 * files written while the factory was down would otherwise be missed. Replaying is safe: the core
 * ignores snapshots it has applied and replies it has recorded. Files whose revision this feed has
 * already handled are skipped, so a tick costs a listing, and a broken file is reported once per
 * revision, not once per tick or once per path that saw it.
 *
 * A file that cannot be read as what its path says it is gets one logged line and changes nothing.
 */
export class MountFeed {
  readonly #options: MountFeedOptions;
  #watching: { close(): Promise<void> } | undefined;
  /** Changes are handled one at a time, in order, whether pushed or replayed. */
  #queue: Promise<void> = Promise.resolve();
  /** The revision of each file last handled to the end (or reported as unusable). */
  readonly #handled = new Map<string, string>();

  constructor(options: MountFeedOptions) {
    this.#options = options;
  }

  start(): void {
    const { mount, sources } = this.#options;
    this.#watching = mount.watch((change) => this.#enqueue(change), { paths: pathGlobsOf(sources) });
  }

  /** Handles every file the providers own, as if each had just changed. */
  async catchUp(): Promise<void> {
    const { mount, sources, logger, tenant } = this.#options;
    const prefixes = [...new Set(pathGlobsOf(sources).map(staticPrefix))];
    const paths = new Set<string>();
    for (const prefix of prefixes) {
      try {
        for (const path of await mount.list(prefix)) paths.add(path);
      } catch (error) {
        logger.error('cannot list the mount', { tenant, prefix, error: messageOf(error) });
      }
    }
    // Queued together, in path order, ahead of anything pushed meanwhile.
    await Promise.all(
      [...paths]
        .sort()
        .map((path) => this.#enqueue({ eventId: `catch-up:${path}`, type: 'file.updated', path })),
    );
  }

  async close(): Promise<void> {
    await this.#watching?.close();
    await this.#queue;
  }

  #enqueue(change: MountChange): Promise<void> {
    const next = this.#queue.then(() => this.#feed(change));
    this.#queue = next.catch(() => {});
    return this.#queue;
  }

  async #feed(change: MountChange): Promise<void> {
    const { mount, sources, logger, tenant, handle } = this.#options;
    try {
      const file = change.type === 'file.deleted' ? undefined : await mount.read(change.path);
      const revision = file?.revision;
      if (!file) this.#handled.delete(change.path);
      // Seen already, by a catch-up or by the push that raced it: the core has it, nothing to add.
      if (revision !== undefined && this.#handled.get(change.path) === revision) return;
      const interpretation = await interpretMountChange(
        { type: change.type, path: change.path, ...(file ? { content: file.content } : {}) },
        sources,
        mount,
      );
      if (interpretation.events.length === 0) {
        // Records are `.json`; anything else under a provider's folder (a sync tool's temporary file) is not ours to judge.
        const problem = file && change.path.endsWith('.json') ? unreadable(file.content) : undefined;
        const reason = interpretation.ignored ?? 'no events';
        if (problem)
          logger.error('cannot read a mounted file', { tenant, path: change.path, error: problem });
        else if (/not a complete/.test(reason))
          logger.warn('a mounted file is incomplete', { tenant, path: change.path, reason });
        else logger.debug('mount change ignored', { tenant, path: change.path, reason });
        if (revision !== undefined) this.#handled.set(change.path, revision);
        return;
      }
      for (const event of interpretation.events) await handle(event);
      if (revision !== undefined) this.#handled.set(change.path, revision);
    } catch (error) {
      // The next change to this file, or the next catch-up, tries again.
      logger.error('mount change failed', { tenant, path: change.path, error: messageOf(error) });
    }
  }
}

/** `/linear/issues/*` → `/linear/issues`: where to list for a glob. */
function staticPrefix(glob: string): string {
  const fixed: string[] = [];
  for (const segment of glob.split('/').filter(Boolean)) {
    if (segment.includes('*')) break;
    fixed.push(segment);
  }
  return `/${fixed.join('/')}`;
}

/** Why a mounted JSON file cannot be used, if it is not JSON at all. */
function unreadable(content: string): string | undefined {
  try {
    JSON.parse(content);
    return undefined;
  } catch (error) {
    return `not valid JSON (${messageOf(error)})`;
  }
}

function messageOf(error: unknown): string {
  return errorMessage(error);
}
