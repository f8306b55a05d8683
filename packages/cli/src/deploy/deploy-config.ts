// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages show ${…} references as they are written.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  BUILTIN_ADD_ONS,
  BUILTIN_PROVIDERS,
  providerRegistry,
  ROLES,
} from '@software-factory/providers/registry';
import { parseSecretReference, type SecretReference } from '@software-factory/sdk';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../config/config-error.ts';
import { parseConfig, readConfigFile } from '../config/load-config.ts';
import { loadProviderModules, type ProviderModule } from '../config/provider-modules.ts';
import { formatPath, locate } from '../config/yaml-locations.ts';
import { VERSION } from '../version.ts';
import { DEPLOYMENT_FORMAT, type DeployedTenant, type FactoryDeployment } from './runtime/deployment.ts';
import { remoteTenantIssues } from './runtime/remote-tenant-rules.ts';

export const DEPLOY_TARGETS = ['aws', 'cloudflare'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

/** A secret reference and the config fields that use it. */
export interface ReferenceUse {
  reference: SecretReference;
  /** e.g. `intentProvider.apiKey`, `tenants[1].fleet.secret` */
  fields: string[];
}

/** A config checked for one deploy target, with what the artifacts are made from. */
export interface DeploymentPlan {
  target: DeployTarget;
  /** The config file as given, for messages. */
  file: string;
  /** The config file's folder: the user's project. */
  projectDir: string;
  /** The modules the config's `providers:` names; the entry carries each one's providers. */
  providerModules: ProviderModule[];
  /**
   * The built-in providers the entry carries, by type, in the registry's order: those the tenants use,
   * those `server.oauthApps` names and those the config's `providers:` lists. Their vendors' code is all
   * the bundle holds of the built-in ones.
   */
  builtinProviders: string[];
  /**
   * The built-in add-ons it carries (their export names, e.g. `linearAgentMode`): those a tenant of the
   * config needs and, with the admin API on, those of every provider it carries (a tenant added there
   * may need them). The others' code stays out of the bundle.
   */
  builtinAddOns: string[];
  /** What the bundle embeds; secret fields hold references. */
  deployment: FactoryDeployment;
  /** Every distinct reference, in the order the config uses them. */
  references: ReferenceUse[];
  /** How often the tick runs, in whole minutes. */
  tickMinutes: number;
  /** Settings of `factory start` the deployment does not use, worth a line. */
  notes: string[];
}

/** The secret stores a deployment on each platform can read, besides its own environment. */
const STORES: Record<DeployTarget, { schemes: readonly string[]; forms: string }> = {
  aws: {
    schemes: ['ssm', 'secretsmanager'],
    forms: '${NAME} (a NoEcho parameter), ${ssm:<parameter>} or ${secretsmanager:<secret id>[#<key>]}',
  },
  cloudflare: { schemes: [], forms: '${NAME} (a Worker secret)' },
};

/** `${…}` anywhere in the text; what is inside decides whether it is a reference. */
const REFERENCE_IN_TEXT = /\$\{([^{}\s]*)\}/g;
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STORE_LOCATOR = /^[a-z][a-z0-9-]*:[^{}\s]+$/;

/**
 * Reads a config for a deployment: the same schema and the same `file:line:column` errors as
 * `factory start`, but secret fields keep their references (nothing is resolved here; the platform
 * resolves them where the factory runs), and what a serverless deployment cannot run is refused at the
 * field that says so.
 */
export async function loadDeploymentPlan(file: string, target: DeployTarget): Promise<DeploymentPlan> {
  const text = await readConfigFile(file, 'create one with `factory init`');
  const projectDir = path.dirname(path.resolve(file));
  // The config's provider modules first: a left-out secret of their providers is a reference too.
  const raw = new LineCounter();
  const rawDocument = parseDocument(text, { lineCounter: raw });
  if (rawDocument.errors.length === 0) await loadProviderModules(rawDocument, raw, file, projectDir);
  const kept = keepReferences(text);
  // The schema sees a value for every reference, so it checks the config as `factory start` does, but
  // for the format of a referenced value (the platform resolves it).
  const config = await parseConfig(kept.text, {
    fileName: file,
    baseDir: projectDir,
    env: kept.env,
    // A stand-in is no PEM key nor App id: their formats are checked where the platform resolves them.
    standIn: (value) => kept.references.has(value),
  });

  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  const multi = (document.toJS() as Record<string, unknown> | null)?.tenants !== undefined;
  const problems: string[] = [];
  const report = (where: readonly PropertyKey[], message: string, at: 'value' | 'key' = 'value') => {
    const { line, column } = locate(document, lines, where, at);
    problems.push(`${file}:${line}:${column} ${formatPath(where)}: ${message}`);
  };

  const uses = new Map<string, ReferenceUse>();
  const restore = (value: unknown, where: readonly PropertyKey[]): unknown => {
    if (typeof value === 'string') {
      const reference = kept.references.get(value);
      if (reference) {
        const use = uses.get(reference.text) ?? { reference, fields: [] };
        use.fields.push(formatPath(where));
        uses.set(reference.text, use);
        checkStore(reference, target, (message) => report(where, message));
        return reference.text;
      }
      const written = kept.unplace(value);
      if (parseSecretReference(written))
        report(
          where,
          `is not a secret field, so ${written} would be used as written: a deployment resolves references in secret fields only; write the value`,
        );
      return written;
    }
    if (Array.isArray(value)) return value.map((item, index) => restore(item, [...where, index]));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, restore(item, [...where, key])]),
      );
    return value;
  };

  const tenants = config.tenants.map((tenant, index) => {
    const at = multi ? ['tenants', index] : [];
    const restored = restore(tenant, at) as DeployedTenant;
    checkTenant(restored, at, target, config.server.credentialsKey !== undefined, report);
    return restored;
  });
  const server = restore(
    {
      ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
      ...(config.server.operatorToken ? { operatorToken: config.server.operatorToken } : {}),
      ...(config.server.credentialsKey ? { credentialsKey: config.server.credentialsKey } : {}),
      ...(config.server.oauthApps ? { oauthApps: config.server.oauthApps } : {}),
    },
    ['server'],
  ) as FactoryDeployment['server'];
  if (config.credentials.type === 'relayfile')
    report(
      ['credentials', 'type'],
      'relayfile credentials are not supported by `factory deploy` yet: give each provider its token as a reference',
    );
  const tickMinutes = config.tick.interval / 60_000;
  if (!Number.isInteger(tickMinutes) || tickMinutes < 1)
    report(
      ['tick', 'interval'],
      `a deployment's tick is a schedule of whole minutes (${target === 'aws' ? 'EventBridge Scheduler' : 'Cron Triggers'}): write 1m, 5m or another number of minutes`,
    );
  if (problems.length > 0) throw new ConfigError(sortByPosition(problems));

  const builtinProviders = builtinProvidersOf(tenants, server, config.builtinProviders);
  const traceUrl = config.observability?.traceUrl;
  const body = {
    format: DEPLOYMENT_FORMAT,
    target,
    server,
    ...(traceUrl ? { observability: { traceUrl } } : {}),
    tenants,
  } as const;
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
  return {
    target,
    file,
    projectDir,
    providerModules: config.providerModules,
    builtinProviders,
    builtinAddOns: builtinAddOnsOf(tenants, server, builtinProviders),
    deployment: { ...body, version: `${VERSION}+${hash}` },
    references: [...uses.values()],
    tickMinutes,
    notes: [
      ...unusedSettings(document, target),
      ...(server.operatorToken ? [adminApiProviders(builtinProviders)] : []),
    ],
  };
}

/** The built-in providers a deployment carries: named by a tenant's role, an OAuth app, or `providers:`. */
function builtinProvidersOf(
  tenants: readonly DeployedTenant[],
  server: FactoryDeployment['server'],
  listed: readonly string[],
): string[] {
  const named = new Set([
    ...tenants.flatMap((tenant) => ROLES.map((role) => tenant[role].type)),
    ...Object.keys(server.oauthApps ?? {}),
    ...listed,
  ]);
  return BUILTIN_PROVIDERS.map((entry) => entry.type).filter((type) => named.has(type));
}

/** The built-in add-ons a deployment carries (see `DeploymentPlan.builtinAddOns`), by export name. */
function builtinAddOnsOf(
  tenants: readonly DeployedTenant[],
  server: FactoryDeployment['server'],
  carried: readonly string[],
): string[] {
  const needed = new Set(
    tenants
      .flatMap((tenant) =>
        ROLES.flatMap((role) => providerRegistry.get(tenant[role].type)?.addOns?.(tenant[role]) ?? []),
      )
      .map((need) => need.addOn),
  );
  const adminApi = server.operatorToken !== undefined;
  return BUILTIN_ADD_ONS.filter(
    (addOn) =>
      needed.has(addOn.addOn) || (adminApi && addOn.providers.some((type) => carried.includes(type))),
  ).map((addOn) => addOn.exportName);
}

/**
 * The config text with every `${scheme:locator}` replaced by a placeholder `${_…}` of the same length
 * (so every line and column stays where it was) and an environment giving each reference a stand-in
 * value, unique and long enough for any length rule; the stand-ins are mapped back afterwards.
 */
function keepReferences(text: string): {
  text: string;
  env: Record<string, string>;
  references: Map<string, SecretReference>;
  unplace: (value: string) => string;
} {
  const names = new Set<string>();
  for (const match of text.matchAll(REFERENCE_IN_TEXT))
    if (ENVIRONMENT_NAME.test(match[1] as string)) names.add(match[1] as string);
  // A provider secret left out is its usual variable (`intentProvider: linear` reads LINEAR_API_KEY): in a
  // deployment that default is a reference like any other, which the platform resolves.
  for (const entry of providerRegistry.entries()) for (const secret of entry.secrets) names.add(secret.env);
  const placeholders = new Map<string, string>();
  let counter = 0;
  const placeholderFor = (inner: string): string => {
    for (;;) {
      const name = `_${(counter++).toString(36)}`.padEnd(inner.length, '_');
      if (name.length === inner.length && !names.has(name)) return name;
      if (name.length > inner.length) throw new Error(`too many references in the config`);
    }
  };
  const replaced = text.replace(REFERENCE_IN_TEXT, (whole, inner: string) => {
    if (!STORE_LOCATOR.test(inner)) return whole;
    let name = [...placeholders].find(([, original]) => original === whole)?.[0];
    if (!name) {
      name = placeholderFor(inner);
      placeholders.set(name, whole);
    }
    return `\${${name}}`;
  });
  const nonce = randomBytes(8).toString('hex');
  const env: Record<string, string> = {};
  const references = new Map<string, SecretReference>();
  for (const [index, name] of [...names, ...placeholders.keys()].entries()) {
    const standIn = `factory-deploy-reference-${nonce}-${index}`.padEnd(48, '.');
    env[name] = standIn;
    const written = placeholders.get(name) ?? `\${${name}}`;
    references.set(standIn, parseSecretReference(written) as SecretReference);
  }
  const unplace = (value: string) =>
    placeholders.size === 0
      ? value
      : value.replace(/\$\{(_[a-z0-9_]*)\}/g, (whole, name: string) => placeholders.get(name) ?? whole);
  return { text: replaced, env, references, unplace };
}

/** A reference the target's platform can resolve: its own environment, or one of its secret stores. */
function checkStore(reference: SecretReference, target: DeployTarget, report: (message: string) => void) {
  const stores = STORES[target];
  if (reference.scheme === undefined) return;
  if (target === 'cloudflare') {
    report(
      `${reference.text}: a Worker reads its secrets from its own bindings; write ${stores.forms} and the deploy uploads it`,
    );
    return;
  }
  if (!stores.schemes.includes(reference.scheme)) {
    report(`${reference.text}: unknown secret store "${reference.scheme}"; on AWS write ${stores.forms}`);
    return;
  }
  if (reference.scheme === 'secretsmanager') {
    const hash = reference.locator.lastIndexOf('#');
    if (hash === 0 || hash === reference.locator.length - 1)
      report(`${reference.text}: expected \${secretsmanager:<secret id>#<key>}`);
  }
}

/** What a serverless deployment cannot run, reported at the field to change. */
function checkTenant(
  tenant: DeployedTenant,
  at: readonly PropertyKey[],
  target: DeployTarget,
  storedCredentials: boolean,
  report: (where: readonly PropertyKey[], message: string, at?: 'value' | 'key') => void,
): void {
  const issues = remoteTenantIssues(tenant, {
    providers: providerRegistry,
    platform: `a deployment on ${target === 'aws' ? 'Lambda' : 'Workers'}`,
    storedCredentials,
    example: (variable) => example(target, variable),
  });
  for (const issue of issues) report([...at, ...issue.path], issue.message, issue.at);
}

function example(target: DeployTarget, variable: string): string {
  const parameter = variable.toLowerCase().replace(/_/g, '-');
  return target === 'aws' ? `\${${variable}} or \${ssm:/factory/${parameter}}` : `\${${variable}}`;
}

/**
 * What a tenant added through the admin API may use: the providers the bundle carries (the built-in ones
 * named, and every one the config's modules add), and how to add others before it is too late.
 */
function adminApiProviders(builtins: readonly string[]): string {
  const builtin = new Set(BUILTIN_PROVIDERS.map((entry) => entry.type));
  const fromModules = providerRegistry
    .entries()
    .map((entry) => entry.type)
    .filter((type) => !builtin.has(type));
  const carried = [...builtins, ...fromModules];
  return carried.length > 0
    ? `a tenant added through the admin API may use the providers this deployment carries: ${carried.join(', ')} (list others in \`providers:\`)`
    : 'this deployment carries no provider, so its admin API will refuse every tenant: list the ones they use in `providers:`, e.g. providers: [linear, slack, github]';
}

/** Settings a deployment does not use, named once so nobody wonders why they have no effect. */
function unusedSettings(document: Document, target: DeployTarget): string[] {
  const top = document.toJS() as Record<string, unknown>;
  const state = target === 'aws' ? 'one DynamoDB table' : 'one Durable Object per tenant';
  const notes: string[] = [];
  if (top.stateStore !== undefined)
    notes.push(`stateStore is not used: the deployment keeps its state in ${state}`);
  const server = (top.server ?? {}) as Record<string, unknown>;
  const ignored = ['host', 'port', 'trustedProxies'].filter((key) => server[key] !== undefined);
  if (ignored.length > 0)
    notes.push(
      `server.${ignored.join(', server.')} ${ignored.length > 1 ? 'are' : 'is'} not used: ${target === 'aws' ? 'API Gateway' : 'Cloudflare'} serves the deployment and gives the client's address`,
    );
  const credentials = top.credentials as Record<string, unknown> | undefined;
  if (credentials?.type === 'file')
    notes.push('credentials is not used: a deployment reads every token from its secret references');
  return notes;
}

function sortByPosition(problems: string[]): string[] {
  const position = (text: string) => {
    const match = /:(\d+):(\d+) /.exec(text);
    return match ? Number(match[1]) * 10_000 + Number(match[2]) : 0;
  };
  return [...problems].sort((a, b) => position(a) - position(b));
}

/**
 * The plan with every `${NAME}` read from one AWS secret store instead of the function's environment:
 * `ssm:/factory/acme` reads the parameter `/factory/acme/NAME`, `secretsmanager:factory/acme` the key
 * NAME of that secret's JSON. The same config then deploys to Workers (Worker secrets NAME) and to AWS
 * with no secret passing through the deploy.
 */
export function withSecretStore(plan: DeploymentPlan, store: string): DeploymentPlan {
  const ssm = /^ssm:(\/?[A-Za-z0-9_.\-/]+?)\/*$/.exec(store);
  const secretsManager = /^secretsmanager:([A-Za-z0-9_+=.@\-/:]+)$/.exec(store);
  if (!ssm && !secretsManager)
    throw new ConfigError([
      `--secrets-from ${store}: expected ssm:<parameter path> (NAME is read from <path>/NAME) or secretsmanager:<secret id> (NAME is a key of its JSON)`,
    ]);
  const moved = new Map<string, SecretReference>();
  for (const { reference } of plan.references) {
    if (reference.scheme !== undefined) continue;
    const text = ssm
      ? `\${ssm:${ssm[1]}/${reference.locator}}`
      : `\${secretsmanager:${secretsManager?.[1]}#${reference.locator}}`;
    moved.set(reference.text, parseSecretReference(text) as SecretReference);
  }
  const move = (value: unknown): unknown => {
    if (typeof value === 'string') return moved.get(value)?.text ?? value;
    if (Array.isArray(value)) return value.map(move);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, move(item)]));
    return value;
  };
  const references = new Map<string, ReferenceUse>();
  for (const use of plan.references) {
    const reference = moved.get(use.reference.text) ?? use.reference;
    const existing = references.get(reference.text);
    if (existing) existing.fields.push(...use.fields);
    else references.set(reference.text, { reference, fields: [...use.fields] });
  }
  const { version: _version, ...body } = move(plan.deployment) as FactoryDeployment;
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
  return {
    ...plan,
    deployment: { ...body, version: `${VERSION}+${hash}` },
    references: [...references.values()],
  };
}
