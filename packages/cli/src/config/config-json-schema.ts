// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './config-schema.ts';

/** The committed JSON Schema; `npm run schema -w @software-factory/cli` regenerates it. */
export const CONFIG_SCHEMA_FILE = fileURLToPath(new URL('../../factory.config.schema.json', import.meta.url));

export function renderConfigJsonSchema(): string {
  const schema = {
    title: 'factory.config.yaml',
    description:
      'The factory’s config: one tenant at the top level, or many under `tenants`. Secrets only as ${ENV_VAR} references.',
    ...configJsonSchema(),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
