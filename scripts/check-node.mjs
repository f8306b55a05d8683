/**
 * The project's scripts run on the Node that the `node` devDependency puts first on PATH; this says which
 * one runs and stops early if an older one slipped through (for example a script started outside npm).
 * The minimum is the one `engines` states, read from package.json so that it is stated once. Plain
 * JavaScript, so that an old Node can still read it and say what is wrong.
 */
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const needed = manifest.engines.node.replace(/^>=\s*/, '');
const [needMajor, needMinor] = needed.split('.').map(Number);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  process.stderr.write(
    `factory needs Node ${needed} or newer for its scripts, but ${process.execPath} is ${process.version}.\n`,
  );
  process.exit(1);
}
process.stdout.write(`Node ${process.version} (${process.execPath})\n`);
