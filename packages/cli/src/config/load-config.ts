// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { core } from 'zod/mini';
import { ConfigError } from './config-error.ts';
import { configSchema, type FactoryConfig, type TenantConfig } from './config-schema.ts';
import { loadedCredentials } from './credentials-schema.ts';
import { describeIssue } from './describe-issue.ts';
import { loadProviderModules } from './provider-modules.ts';
import { type Environment, SecretResolver } from './secret-reference.ts';
import { withAbsolutePaths } from './state-store-schema.ts';
import { formatPath, locate } from './yaml-locations.ts';

export interface ParseOptions {
  /** How errors name the file, e.g. `factory.config.yaml`. */
  fileName: string;
  /** Relative paths in the config are resolved against it (the config file's folder). */
  baseDir: string;
  env: Environment;
  /** Tells the values put in for references when the config is only checked (`SecretResolver`'s `standIn`). */
  standIn?: (value: string) => boolean;
}

/** Reads and validates a config file; throws ConfigError with `file:line:column` for every problem. */
export async function loadConfig(file: string, env: Environment): Promise<FactoryConfig> {
  const text = await readConfigFile(file);
  return parseConfig(text, { fileName: file, baseDir: path.dirname(path.resolve(file)), env });
}

/**
 * A config file's text, for every command that reads one; a missing or unreadable file is a ConfigError
 * that names it. `create` tells the user how to make one.
 */
export async function readConfigFile(file: string, create = 'create one'): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([
      code === 'ENOENT'
        ? `${file}: no such config file (${create}, or pass --config <file>)`
        : `${file}: cannot read the config file (${code ?? String(error)})`,
    ]);
  }
}

/** Validates config text; see loadConfig. */
export async function parseConfig(text: string, options: ParseOptions): Promise<FactoryConfig> {
  const { fileName } = options;
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const [syntax] = document.errors;
  if (syntax) {
    // Only the first: the parser's later complaints are mostly echoes of it.
    const position = lines.linePos(syntax.pos[0]);
    const firstLine = (syntax.message.split('\n')[0] ?? syntax.message).replace(
      / at line \d+, column \d+:?$/,
      '',
    );
    const sourceLine = text.split('\n')[position.line - 1] ?? '';
    const hint = /[{[].*\$\{/.test(sourceLine) ? ' (inside { } or [ ], quote a reference: "${NAME}")' : '';
    throw new ConfigError([`${fileName}:${position.line}:${position.col} YAML syntax: ${firstLine}${hint}`]);
  }
  const data: unknown = document.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const got =
      data === null || data === undefined ? 'an empty file' : Array.isArray(data) ? 'a list' : 'a value';
    throw new ConfigError([`${fileName}:1:1 (top level): expected a mapping of keys to values, got ${got}`]);
  }

  // The schema is built from the registry, so the config's own provider modules are registered first.
  const providers = await loadProviderModules(document, lines, fileName, options.baseDir);
  const secrets = new SecretResolver(
    options.env,
    new Map(),
    options.standIn ? { standIn: options.standIn } : {},
  );
  const schemas = configSchema(secrets);
  const multi = 'tenants' in data;
  const knownKeys = new Map<string, string[]>();
  const parsed = (multi ? schemas.multiTenant : schemas.singleTenant).safeParse(data, {
    reportInput: true,
    error: (issue) => {
      if (issue.code === 'unrecognized_keys')
        knownKeys.set(pathKey(issue.path ?? []), shapeKeys(issue.inst as core.$ZodType | undefined));
      return describeIssue(issue);
    },
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => {
          const where = [...issue.path, key];
          const known = knownKeys.get(pathKey(issue.path)) ?? [];
          return problem(document, lines, fileName, where, `unknown key${suggestion(key, known)}`, 'key');
        });
      }
      // A bad key in a mapping of free keys (an environment) is reported at the key.
      const at = issue.code === 'invalid_key' ? 'key' : 'value';
      return [problem(document, lines, fileName, issue.path, issue.message, at)];
    });
    throw new ConfigError(sortByPosition(problems));
  }

  const tenants: TenantConfig[] =
    'tenants' in parsed.data
      ? parsed.data.tenants
      : [{ ...withoutDeployment(parsed.data), id: parsed.data.tenant }];
  const config: FactoryConfig = {
    source: fileName,
    baseDir: options.baseDir,
    providerModules: providers.modules,
    builtinProviders: providers.builtins,
    secrets: secrets.values,
    server: parsed.data.server,
    tick: parsed.data.tick,
    ...(parsed.data.observability ? { observability: parsed.data.observability } : {}),
    stateStore: withAbsolutePaths(parsed.data.stateStore, options.baseDir),
    credentials: loadedCredentials(parsed.data.credentials, options.baseDir, tenants),
    tenants: [],
  };
  const problems: string[] = [];
  for (const [index, tenant] of tenants.entries()) {
    const prefix = multi ? ['tenants', index] : [];
    const resolved = await resolvePaths(tenant, options.baseDir, (field, message) =>
      problems.push(problem(document, lines, fileName, [...prefix, ...field], message)),
    );
    config.tenants.push(resolved);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function withoutDeployment<
  T extends {
    tenant: string;
    server: unknown;
    tick: unknown;
    stateStore: unknown;
    credentials: unknown;
    providers?: unknown;
    observability?: unknown;
  },
>(
  data: T,
): Omit<T, 'tenant' | 'server' | 'tick' | 'stateStore' | 'credentials' | 'providers' | 'observability'> {
  const {
    observability: _observability,
    tenant: _tenant,
    providers: _providers,
    server: _server,
    tick: _tick,
    stateStore: _store,
    credentials: _c,
    ...rest
  } = data;
  return rest;
}

/** Makes the tenant's paths absolute and reads the template file, so nothing later depends on the cwd. */
async function resolvePaths(
  tenant: TenantConfig,
  baseDir: string,
  report: (field: PropertyKey[], message: string) => void,
): Promise<TenantConfig> {
  const resolved = structuredClone(tenant);
  if (resolved.mount?.type === 'directory') resolved.mount.path = path.resolve(baseDir, resolved.mount.path);
  if (resolved.fleet?.type === 'local') {
    resolved.fleet.repository = path.resolve(baseDir, resolved.fleet.repository);
    if (resolved.fleet.stateDir) resolved.fleet.stateDir = path.resolve(baseDir, resolved.fleet.stateDir);
  }
  if (resolved.template.file) {
    const file = path.resolve(baseDir, resolved.template.file);
    try {
      resolved.template.text = await readFile(file, 'utf8');
    } catch (error) {
      report(['template', 'file'], `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
  }
  return resolved;
}

function problem(
  document: Document,
  lines: LineCounter,
  fileName: string,
  where: readonly PropertyKey[],
  message: string,
  at: 'value' | 'key' = 'value',
): string {
  const { line, column } = locate(document, lines, where, at);
  return `${fileName}:${line}:${column} ${formatPath(where)}: ${message}`;
}

function sortByPosition(problems: string[]): string[] {
  const position = (text: string) => {
    const match = /:(\d+):(\d+) /.exec(text);
    return match ? Number(match[1]) * 10_000 + Number(match[2]) : 0;
  };
  return [...problems].sort((a, b) => position(a) - position(b));
}

function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('\u0000');
}

function shapeKeys(schema: core.$ZodType | undefined): string[] {
  const shape = (schema?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** ` (did you mean "maxInFlight"?)` for a near miss, else nothing. */
function suggestion(key: string, known: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(key.length / 3)))
    return ` (did you mean "${best.name}"?)`;
  return known.length > 0 ? ` (expected one of ${known.join(', ')})` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
