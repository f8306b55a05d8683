import * as z from 'zod/mini';

// The write-back config every tracker intake has, each with its own way of naming a state.

/**
 * Where the factory moves an item, as the tracker names a state: on dispatch, once its output is ready
 * for review (optional: without it the item stays and only the marker says so), and when it is done.
 */
export function writebackSchema<Ref extends object, Input>(
  ref: z.ZodMiniType<Ref, Input>,
  defaults: { dispatched: Ref; done: Ref },
) {
  return z._default(
    z.strictObject({
      dispatched: z._default(ref, defaults.dispatched),
      needsReview: z.optional(ref),
      done: z._default(ref, defaults.done),
    }),
    defaults,
  );
}
