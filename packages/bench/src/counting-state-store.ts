import type { StateStore } from '@software-factory/sdk';

/**
 * A StateStore that forwards every call and counts it by method: the store requests one event costs,
 * whatever store sits underneath. A proxy rather than a class, so a method the port gains is counted
 * too, without this file changing.
 */
export class CountingStateStore {
  readonly store: StateStore;
  #counts = new Map<string, number>();

  constructor(inner: StateStore) {
    // One counting wrapper per method, made on first use: the instrument adds a count, not a closure per call.
    const wrappers = new Map<string, { of: unknown; wrapper: (...args: unknown[]) => unknown }>();
    this.store = new Proxy(inner, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const known = wrappers.get(property);
        if (known?.of === value) return known.wrapper;
        const wrapper = (...args: unknown[]) => {
          this.#counts.set(property, (this.#counts.get(property) ?? 0) + 1);
          return (value as (...parameters: unknown[]) => unknown).apply(target, args);
        };
        wrappers.set(property, { of: value, wrapper });
        return wrapper;
      },
    });
  }

  /** Calls per method since the last `take()`, methods sorted by name; then starts counting afresh. */
  take(): Record<string, number> {
    const counts = Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
    this.#counts = new Map();
    return counts;
  }
}
