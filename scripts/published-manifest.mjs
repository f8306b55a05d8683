// npm runs this around `npm pack` and `npm publish` of each package (its prepack and postpack scripts):
// `strip` removes the `@software-factory/source` condition from `exports` before the tarball is made,
// so a published manifest names only built files; `restore` puts the clone's manifest back after.
// The condition exists for the clone only (tests, tsc and `factory` run the sources there).
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const CONDITION = '@software-factory/source';
const MANIFEST = 'package.json';
const KEPT = 'package.json.clone';

const [command] = process.argv.slice(2);
if (command === 'strip') {
  // A pack that was interrupted left the clone's manifest aside: put it back before stripping again.
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
  copyFileSync(MANIFEST, KEPT);
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  for (const target of Object.values(manifest.exports ?? {}))
    if (target && typeof target === 'object') delete target[CONDITION];
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (command === 'restore') {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
} else {
  process.stderr.write('usage: node published-manifest.mjs strip|restore (run by npm pack in a package)\n');
  process.exit(2);
}
