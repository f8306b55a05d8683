import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, renderConfigJsonSchema } from '../src/config/config-json-schema.ts';

describe('factory.config.schema.json', () => {
  it('is generated from the zod schema and committed up to date (npm run schema -w @software-factory/cli)', async () => {
    // Compared as data: the committed file is formatted by the linter, which may wrap lines differently.
    const committed: unknown = JSON.parse(await readFile(CONFIG_SCHEMA_FILE, 'utf8'));
    expect(committed).toEqual(JSON.parse(renderConfigJsonSchema()));
  });

  it('describes secrets as references, so editors flag a literal token', () => {
    const schema = renderConfigJsonSchema();
    // `${NAME}`, or a secret store's `${scheme:locator}` where the platform reads one.
    expect(schema).toContain(
      '"pattern": "^\\\\$\\\\{(?:[A-Za-z_][A-Za-z0-9_]*|[a-z][a-z0-9-]*:[^{}\\\\s]+)\\\\}$"',
    );
    expect(schema).toContain('"additionalProperties": false');
  });
});
