import type * as z from 'zod/mini';

/**
 * Plain checks of the few fields a source reads from a delivery, each the same verdict as the zod check
 * its schema writes for that field. A source runs them first: a well-formed delivery (nearly all of
 * them) is then read without the schema's general machinery, which costs several times more on every
 * delivery; whatever they do not accept goes through the schema, whose verdict and message stand.
 * Tests hold each quick reader to its schema (`test/quick-check.test.ts`).
 */

/** An object that is not an array, as `z.object` and `z.record` take. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `z.string()`. */
export function isText(value: unknown): value is string {
  return typeof value === 'string';
}

/** `z.string().check(z.minLength(1))`. */
export function isFilledText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** `z.number()`: finite. */
export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `z.boolean()`. */
export function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

/** `z.optional(check)`: absent, or as `check` says (null is not absent). */
export function optional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

/** `z.nullish(check)`: absent, null, or as `check` says. */
export function nullish(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}

/** Every element of an array as `check` says; false for anything but an array. */
export function everyOf(value: unknown, check: (element: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  for (const element of value) if (!check(element)) return false;
  return true;
}

/**
 * `value` read by `quick` when it accepts it, else by `schema` (its verdict, and its message on failure).
 * `quick` must accept only what the schema accepts, and give what the schema would on the fields read.
 */
export function readQuickly<S extends z.ZodMiniType>(
  schema: S,
  quick: (value: unknown) => z.infer<S> | undefined,
  value: unknown,
): ReturnType<S['safeParse']> {
  const read = quick(value);
  if (read === undefined) return schema.safeParse(value) as ReturnType<S['safeParse']>;
  return { success: true, data: read } as ReturnType<S['safeParse']>;
}
