import type { StateStore } from '@software-factory/sdk';

/**
 * A StateStore that forwards every call and counts it by method: the store requests one event costs,
 * whatever store sits underneath. Every method the store has (its own and its classes', found when the
 * wrapper is made) is counted, so a method the port gains is counted too, without this file changing.
 * The counted store is a plain object whose prototype is the store, with one counting function per
 * method made once: the CPU it adds to an event is a call and a count per store call, where a `Proxy`
 * trapped every property read as well.
 */
export class CountingStateStore {
  readonly store: StateStore;
  #counts = new Map<string, number>();

  constructor(inner: StateStore) {
    const counted = Object.create(inner) as Record<string, unknown>;
    for (const name of methodNames(inner)) {
      const method = (inner as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
      if (typeof method !== 'function') continue;
      counted[name] = (...args: unknown[]) => {
        this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
        return method.apply(inner, args);
      };
    }
    this.store = counted as unknown as StateStore;
  }

  /** Calls per method since the last `take()`, methods sorted by name; then starts counting afresh. */
  take(): Record<string, number> {
    const counts = Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
    this.#counts = new Map();
    return counts;
  }
}

/** The names of the functions an object has, its own and along its prototypes, short of `Object`'s. */
function methodNames(object: object): Set<string> {
  const names = new Set<string>();
  for (
    let level: object | null = object;
    level && level !== Object.prototype;
    level = Object.getPrototypeOf(level)
  )
    for (const name of Object.getOwnPropertyNames(level))
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(level, name)?.value === 'function')
        names.add(name);
  return names;
}
