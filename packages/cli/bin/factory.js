#!/usr/bin/env node
// The `factory` command. Plain JavaScript that any Node can parse, so that an old one is told which
// version it needs (the one `engines` states) instead of failing on syntax it does not know.
import { existsSync, readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const needed = manifest.engines.node.replace(/^>=\s*/, '');
const [needMajor, needMinor] = needed.split('.').map(Number);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  process.stderr.write(
    `factory: needs Node ${needed} or newer, and this is ${process.version} (${process.execPath})\n`,
  );
  process.exit(2);
}

// Installed, the CLI runs its build. In a clone of the repository (sources beside this file) it runs the
// sources, and our package names must resolve to sources too (scripts/workspace-sources.ts).
const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const sources = new URL('../../../scripts/workspace-sources.ts', import.meta.url);
  const { resolveWorkspaceToSources } = await import(sources.href);
  await resolveWorkspaceToSources();
}
const { runCli } = await import(existsSync(source) ? source.href : '../dist/cli.js');
// Exit explicitly: agents run detached and must not keep the CLI alive once it is done.
process.exit(await runCli(process.argv.slice(2)));
