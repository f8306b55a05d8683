import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { workspaceSources } from '../../../scripts/workspace-sources.ts';

const ENTRY = fileURLToPath(new URL('../src/remote/index.ts', import.meta.url));
const BUILTINS = new Set(builtinModules);

/** Bundles `entry` for no platform in particular, listing every import of a Node built-in on the way. */
async function nodeImportsOf(entry: string): Promise<{ found: string[]; inputs: string[] }> {
  const found: string[] = [];
  const refuseNode: Plugin = {
    name: 'list-node-imports',
    setup(bundle) {
      bundle.onResolve({ filter: /.*/ }, (args) => {
        if (!args.path.startsWith('node:') && !BUILTINS.has(args.path)) return undefined;
        found.push(`${args.importer} imports ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    // What a Worker or Lambda bundle sees: no Node defaults, our packages from their sources.
    platform: 'neutral',
    alias: workspaceSources(),
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    plugins: [refuseNode],
  });
  return { found, inputs: Object.keys(result.metafile.inputs) };
}

describe('@software-factory/auth/remote', () => {
  it('imports no node: module, directly or through what it imports (it runs on Workers and Lambda)', async () => {
    const { found, inputs } = await nodeImportsOf(ENTRY);
    expect(found).toEqual([]);
    // The walk went through the connector, the OAuth library and the core it relies on.
    expect(inputs.some((input) => input.endsWith('remote/remote-connector.ts'))).toBe(true);
    expect(inputs.some((input) => input.includes('oauth4webapi'))).toBe(true);
    expect(inputs.some((input) => input.includes('packages/sdk/src/'))).toBe(true);
  });

  it('notices a node: import in a module the entry reaches', async () => {
    // The package's main entry reaches the encrypted file store, which reads files with node:fs.
    const { found } = await nodeImportsOf(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
    expect(found.some((line) => /node:(fs|crypto|path)/.test(line))).toBe(true);
  });

  it('is the package export ./remote', async () => {
    const remote = await import('@software-factory/auth/remote');
    expect(typeof remote.createRemoteConnector).toBe('function');
    expect(typeof remote.freshCredential).toBe('function');
  });
});
