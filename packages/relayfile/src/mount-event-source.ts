import type { FactoryEvent, Mount, MountChange } from '@software-factory/sdk';

/** What one changed file means to the factory. */
export interface MountInterpretation {
  events: FactoryEvent[];
  /** Why nothing is done, when `events` is empty. */
  ignored?: string;
}

/**
 * A provider that works through a mount: it owns some paths and turns a changed file there into
 * normalized events. The paths live in the provider and nowhere else.
 */
export interface MountEventSource {
  /** The globs of the paths whose changes this provider wants pushed (for webhook registration). */
  readonly pathGlobs: readonly string[];
  owns(path: string): boolean;
  interpretFile(path: string, content: string): MountInterpretation;
}

/**
 * Routes a change to the provider that owns its path, reading the file through the mount when the
 * change did not carry its content. Deletes and paths nobody owns are ignored with a reason.
 */
export async function interpretMountChange(
  change: Pick<MountChange, 'type' | 'path' | 'content'>,
  sources: readonly MountEventSource[],
  mount: Mount,
): Promise<MountInterpretation> {
  if (change.type === 'file.deleted') return { events: [], ignored: `${change.path} was deleted` };
  const owner = sources.find((source) => source.owns(change.path));
  if (!owner) return { events: [], ignored: `no provider owns ${change.path}` };
  const content = change.content ?? (await mount.read(change.path))?.content;
  if (content === undefined) return { events: [], ignored: `${change.path} no longer exists` };
  return owner.interpretFile(change.path, content);
}

/** The union of the owners' globs, sorted, for a registration that is the same every time. */
export function pathGlobsOf(sources: readonly MountEventSource[]): string[] {
  return [...new Set(sources.flatMap((source) => source.pathGlobs))].sort();
}
