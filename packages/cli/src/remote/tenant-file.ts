import { readFile, stat } from 'node:fs/promises';
import { isTenantId } from '@software-factory/sdk';
import { parseDocument } from 'yaml';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { MAX_RESPONSE_BYTES } from './bounded-json.ts';

/** A tenant's file is a config entry, a few KiB: the same bound as the deployment's answers. */
const MAX_FILE_BYTES = MAX_RESPONSE_BYTES;

/**
 * One tenant from a YAML or JSON file (`-`: standard input), as an entry of a config's `tenants:` list:
 * a mapping with its `id`, or without one when `--tenant` gives it. Only its shape is checked here; the
 * deployment validates the rest with the config schema and names each problem.
 */
export async function readTenantFile(
  file: string,
  tenantOption: string | undefined,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Record<string, unknown> & { id: string }> {
  const name = file === '-' ? 'standard input' : file;
  const text = file === '-' ? await readCapped(stdin) : await readFileCapped(file);
  if (text === 'too-large')
    throw new CliError(`${name} is larger than 1 MiB; one tenant is a few KiB`, EXIT_USAGE);
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const where = error.linePos?.[0];
    throw new CliError(
      `${name}${where ? `:${where.line}:${where.col}` : ''} is not YAML or JSON: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:$/, '')}`,
      EXIT_USAGE,
    );
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(
      `${name} must hold one tenant: a mapping with id, intentProvider, clarificationChannel, outputTarget…`,
      EXIT_USAGE,
    );
  const tenant = value as Record<string, unknown>;
  if ('tenants' in tenant)
    throw new CliError(
      `${name} is a whole config (it has tenants:); give one entry of its tenants: list, in a file of its own`,
      EXIT_USAGE,
    );
  const id = tenant.id ?? tenantOption;
  if (id === undefined)
    throw new CliError(`${name} has no id: add \`id: <tenant>\` to it, or pass --tenant <id>`, EXIT_USAGE);
  if (tenantOption !== undefined && tenant.id !== undefined && tenant.id !== tenantOption)
    throw new CliError(`${name} is tenant ${String(tenant.id)}, not --tenant ${tenantOption}`, EXIT_USAGE);
  if (!isTenantId(id))
    throw new CliError(
      `${name}: id must be letters, digits, - and _, starting with a letter or digit, at most 64`,
      EXIT_USAGE,
    );
  return { ...tenant, id };
}

async function readFileCapped(file: string): Promise<string | 'too-large'> {
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES) return 'too-large';
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${file}: no such file`, EXIT_USAGE);
    if (code === 'EISDIR') throw new CliError(`${file} is a folder; give the tenant's file`, EXIT_USAGE);
    throw new CliError(`cannot read ${file} (${code ?? String(error)})`, EXIT_USAGE);
  }
}

async function readCapped(stream: NodeJS.ReadableStream): Promise<string | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.byteLength;
    if (size > MAX_FILE_BYTES) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
