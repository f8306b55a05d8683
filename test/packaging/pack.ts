import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** Every package a user installs; the benchmark package stays private. */
export const PUBLISHED = [
  '@software-factory/sdk',
  '@software-factory/cli',
  '@software-factory/aws',
  '@software-factory/cloudflare',
  '@software-factory/providers',
  '@software-factory/relayfile',
  '@software-factory/fleets',
  '@software-factory/llm-triage',
  '@software-factory/auth',
  '@software-factory/postgres',
] as const;

export interface PackedPackage {
  name: string;
  version: string;
  tarball: string;
  /** The paths inside the tarball, as `npm pack` lists them. */
  files: string[];
  /** The subpaths of its `exports` ('.', './testing', …). */
  exports: string[];
  /** The packages of ours it depends on. */
  workspaceDependencies: string[];
}

interface NpmPackResult {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

/** `npm pack` of every published package into `destination`, from the build `npm test` made first. */
export async function packAll(destination: string): Promise<PackedPackage[]> {
  mkdirSync(destination, { recursive: true });
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-b', join(ROOT, 'tsconfig.build.json')]);
  const workspaces = PUBLISHED.flatMap((name) => ['-w', name]);
  const { stdout } = await run('npm', ['pack', ...workspaces, '--json', '--pack-destination', destination], {
    cwd: ROOT,
    maxBuffer: 32 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as NpmPackResult[]).map((result) => {
    const manifest = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', result.name, 'package.json'), 'utf8'),
    ) as { exports: Record<string, unknown>; dependencies?: Record<string, string> };
    return {
      name: result.name,
      version: result.version,
      tarball: join(destination, result.filename),
      files: result.files.map((file) => file.path),
      exports: Object.keys(manifest.exports),
      workspaceDependencies: Object.keys(manifest.dependencies ?? {}).filter((name) =>
        name.startsWith('@software-factory/'),
      ),
    };
  });
}
