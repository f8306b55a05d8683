/**
 * The project's scripts run on the Node that the `node` devDependency puts first on PATH; this says which
 * one runs and stops early if an older one slipped through (for example a script started outside npm).
 * Plain JavaScript, so that an old Node can still read it and say what is wrong.
 */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `factory needs Node >= 22.13 for its scripts, but ${process.execPath} is ${process.version}.\n`,
  );
  process.exit(1);
}
process.stdout.write(`Node ${process.version} (${process.execPath})\n`);
