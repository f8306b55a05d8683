import type { ProviderAddOn } from './provider-add-on.ts';
import type { AnyProviderEntry, Role } from './provider-entry.ts';

/**
 * The providers a factory knows, by `type`: one entry per vendor. The config schema, the JSON Schema,
 * `factory init`, `check`, `connect` and every runtime read it; nothing else names a provider.
 */
export class ProviderRegistry {
  readonly #entries = new Map<string, AnyProviderEntry>();
  readonly #addOns = new Map<string, ProviderAddOn>();

  /** Its providers, and the add-ons (see `ProviderAddOn`) it carries for them. */
  constructor(entries: Iterable<AnyProviderEntry | ProviderAddOn> = []) {
    for (const entry of entries) {
      if ('addOn' in entry) this.#addOns.set(entry.addOn, entry);
      else this.register(entry);
    }
  }

  /** The part of add-on `name`, when this registry carries it. */
  addOn(name: string): unknown {
    return this.#addOns.get(name)?.part;
  }

  /** Every add-on it carries. */
  addOns(): ProviderAddOn[] {
    return [...this.#addOns.values()];
  }

  /**
   * Adds a provider. Its `type` must be new: a second entry of the same type is refused rather than
   * silently replacing the first (unregister it first to swap it).
   */
  register(entry: AnyProviderEntry): this {
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(entry.type))
      throw new Error(`provider type "${entry.type}" must be lowercase letters, digits and "-"`);
    if (this.#entries.has(entry.type))
      throw new Error(`a provider of type "${entry.type}" is registered already`);
    if (entry.roles.length === 0) throw new Error(`provider "${entry.type}" plays no role`);
    this.#entries.set(entry.type, entry);
    return this;
  }

  /** Removes a provider; true when it was there. */
  unregister(type: string): boolean {
    return this.#entries.delete(type);
  }

  get(type: string): AnyProviderEntry | undefined {
    return this.#entries.get(type);
  }

  /** Every entry, in registration order. */
  entries(): AnyProviderEntry[] {
    return [...this.#entries.values()];
  }

  /** The entries that can play `role`, in registration order. */
  forRole(role: Role): AnyProviderEntry[] {
    return this.entries().filter((entry) => entry.roles.includes(role));
  }

  /** A copy with these entries added (the original is left as it is). */
  with(...entries: (AnyProviderEntry | ProviderAddOn)[]): ProviderRegistry {
    return new ProviderRegistry([...this.entries(), ...this.addOns(), ...entries]);
  }
}
