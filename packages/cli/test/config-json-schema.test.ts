// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions write ${NAME} references literally.

import { readFile } from 'node:fs/promises';
import { expandFieldDocs, FIELD_DOCS } from '@software-factory/providers/registry';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, renderConfigJsonSchema } from '../src/config/config-json-schema.ts';

describe('factory.config.schema.json', () => {
  it('is generated from the zod schema and committed up to date (npm run schema -w @software-factory/cli)', async () => {
    // Compared as data: the committed file is formatted by the linter, which may wrap lines differently.
    const committed: unknown = JSON.parse(await readFile(CONFIG_SCHEMA_FILE, 'utf8'));
    expect(committed).toEqual(JSON.parse(renderConfigJsonSchema()));
  });

  it("gives the providers' fields their texts, which the schemas name only by key, and every text a field", () => {
    // The bundled runtimes parse with the same schemas and carry only the keys (field-docs.ts).
    const schema = renderConfigJsonSchema();
    expect(schema).not.toMatch(/"description": "[^"]*#[A-Za-z]/);
    expect(schema).toContain(`"description": "${FIELD_DOCS['fleet.command']}"`);
    const described = new Set(
      [...schema.matchAll(/"description": "((?:[^"\\]|\\.)*)"/g)].map((found) => JSON.parse(`"${found[1]}"`)),
    );
    // A text may follow others in one description (trustedAuthors' roles: its list, then its default).
    const unused = Object.entries(FIELD_DOCS)
      .filter(([, text]) => ![...described].some((description) => description.includes(text)))
      .map(([key]) => key);
    expect(unused).toEqual([]);
  });

  it('refuses a description key that has no text, naming it', () => {
    expect(expandFieldDocs('#linear.apiKey Default: ${LINEAR_API_KEY} when that variable is set.')).toBe(
      `${FIELD_DOCS['linear.apiKey']} Default: \${LINEAR_API_KEY} when that variable is set.`,
    );
    expect(expandFieldDocs('Written out, as a provider from outside writes it.')).toBe(
      'Written out, as a provider from outside writes it.',
    );
    expect(() => expandFieldDocs('#linear.apiKy')).toThrow(
      'no text for the config description key #linear.apiKy',
    );
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
