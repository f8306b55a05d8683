/**
 * `value` as a deeply frozen value, copying only what is not frozen yet. Records are immutable values
 * built from earlier versions that share what did not change, so storing the next version copies and
 * freezes its new parts alone; a part already frozen is shared as it is. Plain data only (what a record
 * or a document holds): objects, arrays and primitives.
 */
export function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  // An object without a prototype (a dictionary keyed by ids) stays one: copied into `{}`, every new key
  // would make a new hidden class.
  const copy: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  // `for…in` over plain data visits what `Object.entries` lists, without building the pairs.
  const source = value as Record<string, unknown>;
  for (const key in source) copy[key] = frozenCopy(source[key]);
  return Object.freeze(copy) as T;
}

/**
 * `value` itself, deeply frozen: for a value its maker hands over and never changes again (a record's
 * next version), so nothing needs copying. A part already frozen is taken as frozen throughout, as in
 * `frozenCopy`, so only the new parts of a version are visited. Plain data only.
 */
export function frozenInPlace<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key in value) frozenInPlace(value[key]);
  return value;
}
