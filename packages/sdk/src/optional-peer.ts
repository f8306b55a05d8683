/**
 * An optional peer dependency that is not installed. The message says what needs it and how to install
 * it, e.g. `triage.provider anthropic needs the package @anthropic-ai/sdk: npm install @anthropic-ai/sdk`;
 * the loader's own error is the `cause`.
 */
export class MissingPeerError extends Error {
  /** The package to install, e.g. `@anthropic-ai/sdk`. */
  readonly packageName: string;

  constructor(packageName: string, purpose: string, options?: { cause?: unknown }) {
    super(`${purpose} needs the package ${packageName}: npm install ${packageName}`, options);
    this.name = 'MissingPeerError';
    this.packageName = packageName;
  }
}

/**
 * Loads an optional peer dependency, or explains how to install it. `load` must contain the literal
 * `import('<name>')`, so bundlers still see the dependency:
 *
 * ```ts
 * const { default: Anthropic } = await importOptionalPeer('@anthropic-ai/sdk', 'triage.provider anthropic',
 *   () => import('@anthropic-ai/sdk'));
 * ```
 *
 * Rejects with `MissingPeerError` only when the package `name` itself cannot be found; any other error
 * (a missing dependency of that package, a broken file, an exception while it evaluates) is rethrown
 * unchanged.
 */
export async function importOptionalPeer<T>(
  name: string,
  purpose: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, name)) throw new MissingPeerError(name, purpose, { cause: error });
    throw error;
  }
}

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Node's ESM loader: `Cannot find package '<name>' imported from …` (ERR_MODULE_NOT_FOUND);
 * `require`: `Cannot find module '<name>'` (MODULE_NOT_FOUND). The name must be the quoted one, so a
 * missing dependency of the package (`Cannot find package 'other' imported from …/<name>/…`) or a
 * missing file inside it does not count.
 */
function isMissingPackage(error: unknown, name: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !NOT_FOUND_CODES.has(code) || typeof message !== 'string') return false;
  return [`'${name}'`, `"${name}"`].some(
    (quoted) =>
      message.startsWith(`Cannot find package ${quoted}`) ||
      message.startsWith(`Cannot find module ${quoted}`),
  );
}
