import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REGISTER_SOURCES_URL, REPOSITORY_ROOT, workspaceSources } from '../scripts/workspace-sources.ts';

const run = promisify(execFile);
const PACKAGES = join(REPOSITORY_ROOT, 'packages');
const manifests = readdirSync(PACKAGES)
  .map((folder) => join(PACKAGES, folder, 'package.json'))
  .map((path) => ({ path, manifest: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> }));

const work = mkdtempSync(join(tmpdir(), 'factory-workspace-sources-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the clone's package manifests", () => {
  it('export built files only, as published: Node refuses TypeScript under node_modules', () => {
    for (const { path, manifest } of manifests) {
      const targets = JSON.stringify({ exports: manifest.exports, bin: manifest.bin });
      expect([path, targets.match(/"[^"]*(?<!\.d)\.[cm]?ts"/g)]).toEqual([path, null]);
      expect([
        path,
        Object.keys(manifest.scripts ?? {}).filter((name) => /^(pre|post)pack$/.test(name)),
      ]).toEqual([path, []]);
    }
  });
});

describe('workspaceSources: each exported name of our packages → the source its build comes from', () => {
  it('covers every export of every package, each an existing src/ file', () => {
    const sources = workspaceSources();
    expect(sources['@software-factory/sdk']).toBe(join(PACKAGES, 'sdk/src/index.ts'));
    expect(sources['@software-factory/sdk/testing']).toBe(join(PACKAGES, 'sdk/src/testing/index.ts'));
    const exported = manifests.flatMap(({ manifest }) =>
      Object.keys((manifest.exports as Record<string, unknown> | undefined) ?? {}).map((subpath) =>
        subpath === '.' ? String(manifest.name) : `${manifest.name}/${subpath.slice(2)}`,
      ),
    );
    expect(Object.keys(sources).sort()).toEqual(exported.sort());
  });

  it("is what tsconfig's paths say, so tsc checks the same sources the tests run", () => {
    const tsconfig = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'tsconfig.base.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    const expected = Object.fromEntries(
      Object.entries(workspaceSources()).map(([name, source]) => [
        name,
        [`./${relative(REPOSITORY_ROOT, source)}`],
      ]),
    );
    expect(tsconfig.compilerOptions.paths).toEqual(expected);
  });

  it('refuses a package whose export names no built file, or a build without its source', () => {
    const root = join(work, 'bad');
    mkdirSync(join(root, 'packages/raw/src'), { recursive: true });
    const write = (exports: unknown) =>
      writeFileSync(join(root, 'packages/raw/package.json'), JSON.stringify({ name: '@x/raw', exports }));

    write({ '.': { types: './src/index.ts', import: './src/index.ts' } });
    expect(() => workspaceSources(root)).toThrow(
      'exports["."] must name a ./dist/*.js file, not ./src/index.ts',
    );
    write({ '.': { import: './dist/missing.js' } });
    expect(() => workspaceSources(root)).toThrow('exports["."] has no source');
  });
});

describe('a Node process started with --import register-workspace-sources.ts', () => {
  it('loads our packages from their sources, and so do the Node processes it starts', async () => {
    const program = `
      import { execFileSync } from 'node:child_process';
      const here = import.meta.resolve('@software-factory/sdk/testing');
      const child = execFileSync(process.execPath, ['--input-type=module', '-e',
        "process.stdout.write(import.meta.resolve('@software-factory/providers'))"], { encoding: 'utf8' });
      await import('@software-factory/sdk');
      process.stdout.write(JSON.stringify([here, child]));
    `;
    const { stdout } = await run(
      process.execPath,
      [`--import=${REGISTER_SOURCES_URL}`, '--input-type=module', '-e', program],
      { cwd: work, env: { PATH: process.env.PATH ?? '' } },
    );
    expect(JSON.parse(stdout)).toEqual([
      `file://${join(PACKAGES, 'sdk/src/testing/index.ts')}`,
      `file://${join(PACKAGES, 'providers/src/index.ts')}`,
    ]);
  });
});
