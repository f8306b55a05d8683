import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { CONFIG_SCHEMA_FILE, renderConfigJsonSchema } from '../src/config/config-json-schema.ts';

await writeFile(CONFIG_SCHEMA_FILE, renderConfigJsonSchema());
// Formatted the way the repository's linter wants it, so `npm run lint` stays clean.
execFileSync('biome', ['format', '--write', CONFIG_SCHEMA_FILE], { stdio: 'ignore' });
process.stdout.write(`wrote ${CONFIG_SCHEMA_FILE}\n`);
