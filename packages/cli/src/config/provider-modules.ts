import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AnyProviderEntry,
  BUILTIN_PROVIDERS,
  type ProviderRegistry,
  providerRegistry,
} from '@software-factory/providers/registry';
import { errorMessage } from '@software-factory/sdk';
import { type Document, isSeq, type LineCounter } from 'yaml';
import { ConfigError } from './config-error.ts';
import { formatPath, locate } from './yaml-locations.ts';

/** A module the config's `providers:` names, whose `providers` export is registered before the config is read. */
export interface ProviderModule {
  /** As written in the config: `./vendors/acme.js` or a package name. */
  specifier: string;
  /** The absolute path of a relative specifier (resolved against the config file's folder); absent for a package. */
  path?: string;
}

/** What the config's `providers:` names: modules that add providers, and built-in providers by type. */
export interface ConfigProviders {
  modules: ProviderModule[];
  /**
   * Built-in providers named by their type (`jira`): every one is always known to this CLI, and `factory
   * deploy` bundles these whether or not a tenant of the file uses them (for tenants added through the
   * admin API), besides those its tenants use.
   */
  builtins: string[];
}

/** A relative (or absolute) path, rather than a package name. */
export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || path.isAbsolute(specifier);
}

/**
 * Reads the top-level `providers:` of a parsed config document, before the rest of it is validated (the
 * schema is built from the registry): imports each module, from the config file's folder, and registers
 * its `providers` export; an item that is a built-in provider's type is that provider, and no module. A
 * module that cannot be imported or exports no `providers` list is reported at its item; a type
 * registered already (by another module, or built in) is reported naming it. A module whose entries are
 * registered already, the same objects (a config loaded twice), is not registered again.
 */
export async function loadProviderModules(
  document: Document,
  lines: LineCounter,
  fileName: string,
  baseDir: string,
  registry: ProviderRegistry = providerRegistry,
): Promise<ConfigProviders> {
  const node = document.get('providers', true);
  if (node === undefined || node === null) return { modules: [], builtins: [] };
  const at = (where: readonly PropertyKey[], message: string) => {
    const { line, column } = locate(document, lines, where, 'value');
    return `${fileName}:${line}:${column} ${formatPath(where)}: ${message}`;
  };
  if (!isSeq(node))
    throw new ConfigError([
      at(
        ['providers'],
        'expected a list of modules (a path relative to this file, or a package name) and built-in providers by name',
      ),
    ]);
  const problems: string[] = [];
  const modules: ProviderModule[] = [];
  const builtins: string[] = [];
  for (const [index, item] of (node.toJS(document) as unknown[]).entries()) {
    const where = ['providers', index];
    if (typeof item !== 'string' || item.trim() === '') {
      problems.push(
        at(
          where,
          `expected a module (a path relative to this file, ./…, or a package name) or a built-in provider (${BUILTIN_TYPES.join(', ')})`,
        ),
      );
      continue;
    }
    if (BUILTIN_TYPES.includes(item)) {
      if (!builtins.includes(item)) builtins.push(item);
      continue;
    }
    const module: ProviderModule = isPathSpecifier(item)
      ? { specifier: item, path: path.resolve(baseDir, item) }
      : { specifier: item };
    let exported: unknown;
    try {
      const file = module.path ?? resolvePackage(item, baseDir);
      exported = ((await import(pathToFileURL(file).href)) as { providers?: unknown }).providers;
    } catch (error) {
      // A bare word is more likely a misspelt provider than a package.
      const hint = /^[a-z0-9-]+$/.test(item)
        ? `; a built-in provider is one of ${BUILTIN_TYPES.join(', ')}`
        : '';
      problems.push(at(where, `cannot import ${JSON.stringify(item)} (${firstLine(error)})${hint}`));
      continue;
    }
    if (!Array.isArray(exported) || exported.some((entry) => !isEntry(entry))) {
      problems.push(
        at(
          where,
          `${JSON.stringify(item)} has no \`providers\` export: expected \`export const providers = [entry, …]\` (ProviderEntry objects made with defineProvider)`,
        ),
      );
      continue;
    }
    for (const entry of exported as AnyProviderEntry[]) {
      if (registry.get(entry.type) === entry) continue;
      try {
        registry.register(entry);
      } catch (error) {
        problems.push(at(where, `${JSON.stringify(item)}: ${firstLine(error)}`));
      }
    }
    modules.push(module);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { modules, builtins };
}

/** The types of the providers this package ships, which `providers:` may name without a module. */
const BUILTIN_TYPES: readonly string[] = BUILTIN_PROVIDERS.map((entry) => entry.type);

/**
 * A package's module as `import` finds it from the project: Node's resolution from the config file's
 * folder, else (a package whose `exports` give only an `import` condition, as ours do) its `exports`
 * read with the `import` conditions.
 */
function resolvePackage(specifier: string, baseDir: string): string {
  try {
    return createRequire(path.join(baseDir, 'package.json')).resolve(specifier);
  } catch (error) {
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    const subpath = `.${specifier.slice(name.length)}`;
    for (let dir = baseDir; ; dir = path.dirname(dir)) {
      const root = path.join(dir, 'node_modules', name);
      let manifest: { exports?: unknown; main?: string } | undefined;
      try {
        manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
      } catch {
        // Not installed at this level.
      }
      if (manifest) {
        const exported =
          typeof manifest.exports === 'string' || Array.isArray(manifest.exports)
            ? subpath === '.'
              ? manifest.exports
              : undefined
            : (manifest.exports as Record<string, unknown> | undefined)?.[subpath];
        const target = importTarget(exported);
        if (target) return path.join(root, target);
        throw error;
      }
      if (path.dirname(dir) === dir) throw error;
    }
  }
}

/** The file an `exports` value gives an `import` from Node. */
function importTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(importTarget).find((target) => target !== undefined);
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [condition, target] of Object.entries(value))
    if (['node', 'import', 'default'].includes(condition)) {
      const found = importTarget(target);
      if (found) return found;
    }
  return undefined;
}

function isEntry(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    Array.isArray((value as { roles?: unknown }).roles)
  );
}

function firstLine(error: unknown): string {
  const message = errorMessage(error);
  return message.split('\n')[0] ?? message;
}
