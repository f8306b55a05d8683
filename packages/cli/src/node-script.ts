import { fileURLToPath } from 'node:url';

/**
 * The export condition under which this repository's packages resolve to their TypeScript sources
 * (`exports` in each package.json). Only a clone has the sources; an installed package runs `dist/`.
 */
export const SOURCE_CONDITION = '@software-factory/source';

/**
 * The command that runs one of this package's own scripts in a new Node process. Installed, that is the
 * built `.js`. In a clone, where the calling module itself runs from `src/*.ts`, it is the `.ts` source,
 * with the condition that makes our package names resolve to sources in the child too.
 */
export function nodeScriptCommand(relativePath: string, callerUrl: string): string[] {
  const fromSource = callerUrl.endsWith('.ts');
  const file = fileURLToPath(new URL(`${relativePath}${fromSource ? '.ts' : '.js'}`, callerUrl));
  return fromSource ? [process.execPath, `--conditions=${SOURCE_CONDITION}`, file] : [process.execPath, file];
}
