#!/usr/bin/env node
// The `factory` command. The CLI is TypeScript that Node runs directly (type stripping), so it needs a
// Node that strips types by default: 22.18+ or 24.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `factory: needs Node 22.18 or newer (this is ${process.versions.node}); run it through npm (npx factory) or put node_modules/.bin first on PATH\n`,
  );
  process.exit(1);
}
const { runCli } = await import('../src/cli.ts');
// Exit explicitly: agents run detached and must not keep the CLI alive once it is done.
process.exit(await runCli(process.argv.slice(2)));
