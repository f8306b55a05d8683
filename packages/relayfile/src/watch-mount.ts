import type { Factory, HandleResult, Mount } from '@software-factory/sdk';
import { interpretMountChange, type MountEventSource, pathGlobsOf } from './mount-event-source.ts';

/**
 * Feeds a pushing mount's changes (a `DirectoryMount` in `factory demo`) to a factory, through the
 * same routing the relayfile webhook uses. Handling errors are reported, not thrown: the next change
 * or the tick picks the work up again.
 */
export function watchMount(options: {
  mount: Mount;
  sources: readonly MountEventSource[];
  factory: Pick<Factory, 'handle'>;
  onResult?: (result: HandleResult) => void;
  onError?: (error: unknown) => void;
}): { close(): Promise<void> } {
  const { mount } = options;
  if (!mount.watch) throw new Error('this mount cannot push changes; use webhooks or the relay worker');
  return mount.watch(
    async (change) => {
      try {
        const interpretation = await interpretMountChange(change, options.sources, mount);
        for (const event of interpretation.events) options.onResult?.(await options.factory.handle(event));
      } catch (error) {
        options.onError?.(error);
      }
    },
    { paths: pathGlobsOf(options.sources) },
  );
}
