import { type AnyProviderEntry, providerRegistry } from '@software-factory/providers/registry';

/**
 * Registers the `providers` export of each module a config's `providers:` names, as a generated entry
 * does before it builds its tenants (the bundle's registry holds the built-in providers only). An entry
 * registered already, the same object, is left as it is; another entry of a registered type is refused.
 */
export function registerProviders(modules: readonly (readonly AnyProviderEntry[])[]): void {
  for (const entries of modules)
    for (const entry of entries)
      if (providerRegistry.get(entry.type) !== entry) providerRegistry.register(entry);
}
