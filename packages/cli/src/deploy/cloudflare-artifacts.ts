import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARD_ASSET_FILES } from '@software-factory/sdk';
import type { DeploymentPlan } from './deploy-config.ts';
import { requirePackages, resolvesFrom } from './deploy-tools.ts';
import {
  DEPLOYMENT_FILE,
  deploymentImports,
  entryPackages,
  providerLines,
  TRIAGE_SDKS,
  writeDeployment,
} from './entry-files.ts';
import { deploymentWebhooks, type TenantWebhook } from './webhooks.ts';

/** Wrangler's secrets file: JSON, as both `wrangler secret bulk` and `wrangler deploy --secrets-file` read it. */
export const SECRETS_FILE = '.secrets.json';
export const WORKER_ENTRY = 'worker.mjs';
/** The Worker's static assets: the dashboard's stylesheet and script, which its script does not carry. */
export const ASSETS_DIR = 'assets';
/** The date the Worker's runtime behaviour is pinned to; the same as @software-factory/cloudflare's. */
export const COMPATIBILITY_DATE = '2026-04-01';

export interface CloudflareArtifacts {
  outDir: string;
  wrangler: string;
  /** Every Worker secret the config references, by name. */
  secrets: string[];
  /** The secrets file, when every secret was set in the local environment. */
  secretsFile?: string;
  /** Referenced secrets the local environment does not set. */
  missing: string[];
  webhooks: TenantWebhook[];
}

/**
 * Writes the Worker into `outDir`: an entry importing the packages by name, the config it embeds,
 * `wrangler.jsonc` (Durable Object and its migration, KV, the Cron Trigger, the required secrets) and,
 * when the local environment has every secret, a secrets file (mode 0600; never commit it).
 */
export async function writeCloudflareArtifacts(
  plan: DeploymentPlan,
  outDir: string,
  options: { name: string; env: NodeJS.ProcessEnv },
): Promise<CloudflareArtifacts> {
  mkdirSync(outDir, { recursive: true });
  requirePackages(outDir, entryPackages(plan, '@software-factory/cloudflare'), 'factory deploy cloudflare');
  writeDeployment(plan, outDir);
  writeFileSync(path.join(outDir, WORKER_ENTRY), workerEntry(plan, outDir));
  writeDashboardAssets(path.join(outDir, ASSETS_DIR));
  const secrets = plan.references.map((use) => use.reference.locator);
  const wrangler = path.join(outDir, 'wrangler.jsonc');
  writeFileSync(wrangler, wranglerConfig(plan, options.name, secrets, notInstalled(plan, outDir)));
  writeFileSync(
    path.join(outDir, '.gitignore'),
    `# Secret values from the local environment: never commit them.\n${SECRETS_FILE}\n`,
  );

  const missing = secrets.filter((name) => !options.env[name]);
  const secretsFile = path.join(outDir, SECRETS_FILE);
  rmSync(secretsFile, { force: true });
  if (missing.length === 0 && secrets.length > 0) {
    const values = Object.fromEntries(secrets.map((name) => [name, options.env[name] as string]));
    // Created 0600 before anything is written to it.
    writeFileSync(secretsFile, '', { mode: 0o600 });
    chmodSync(secretsFile, 0o600);
    writeFileSync(secretsFile, `${JSON.stringify(values, null, 2)}\n`);
  }
  return {
    outDir,
    wrangler,
    secrets,
    ...(missing.length === 0 && secrets.length > 0 ? { secretsFile } : {}),
    missing,
    webhooks: await deploymentWebhooks(plan.deployment),
  };
}

/** The dashboard's files as the core serves them, and nothing else: the folder is uploaded whole. */
function writeDashboardAssets(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(DASHBOARD_ASSET_FILES))
    writeFileSync(path.join(dir, name), content);
}

/** The Cron Trigger for a tick of `minutes`: every minute, every N minutes, or every N hours. */
export function cronFor(minutes: number): string {
  if (minutes === 1) return '* * * * *';
  if (minutes < 60) return `*/${minutes} * * * *`;
  return `0 */${Math.round(minutes / 60)} * * *`;
}

/**
 * The model SDKs @software-factory/llm-triage can load that this project does not have: wrangler cannot
 * bundle an import it cannot resolve, so each is aliased to a module that fails, naming the package, if
 * a config ever asks for it (this one does not: only the SDK of its own provider is required).
 */
function notInstalled(plan: DeploymentPlan, outDir: string): Record<string, string> {
  if (plan.deployment.tenants.every((tenant) => tenant.triage.type === 'rules')) return {};
  const aliases: Record<string, string> = {};
  for (const sdk of TRIAGE_SDKS) {
    if (resolvesFrom(outDir, sdk)) continue;
    const file = `not-installed/${sdk.replace(/[@/]/g, '_')}.mjs`;
    mkdirSync(path.join(outDir, 'not-installed'), { recursive: true });
    writeFileSync(
      path.join(outDir, file),
      `// ${sdk} is not installed in the project that built this Worker; this stands in for it.\nthrow new Error(${JSON.stringify(`${sdk} is not installed in the project that built this Worker: npm install ${sdk}, then deploy again`)});\n`,
    );
    aliases[sdk] = `./${file}`;
  }
  return aliases;
}

function wranglerConfig(
  plan: DeploymentPlan,
  name: string,
  secrets: readonly string[],
  alias: Record<string, string>,
): string {
  const config = {
    name,
    main: WORKER_ENTRY,
    ...(Object.keys(alias).length > 0 ? { alias } : {}),
    compatibility_date: COMPATIBILITY_DATE,
    minify: true,
    keep_names: false,
    upload_source_maps: true,
    durable_objects: { bindings: [{ name: 'FACTORY_STATE', class_name: 'FactoryStateObject' }] },
    migrations: [{ tag: 'v1', new_sqlite_classes: ['FactoryStateObject'] }],
    kv_namespaces: [{ binding: 'FACTORY_CACHE' }],
    assets: { directory: ASSETS_DIR, binding: 'ASSETS', run_worker_first: true },
    triggers: { crons: [cronFor(plan.tickMinutes)] },
    vars: {},
    secrets: { required: [...secrets] },
    observability: { enabled: true },
  };
  return `// Generated by \`factory deploy cloudflare\` from ${plan.file}; generate it again rather than edit it.
// FACTORY_STATE: one SQLite-backed Durable Object per tenant, the single writer of its state.
// FACTORY_CACHE: a cache of write-once lookups (wrangler creates the namespace on first deploy).
// ASSETS: the dashboard's stylesheet and script (${ASSETS_DIR}/), served by the Worker, which every request
// still reaches first.
// minify: a smaller upload and a faster isolate start, names too (keep_names would wrap every function
// and class in a call restoring its name); the source map uploaded beside the Worker maps stack traces
// back to the sources instead.
// vars: none; the config travels in the bundle (${DEPLOYMENT_FILE}), its secrets are the Worker
// secrets under "secrets" (\`wrangler deploy --secrets-file ${SECRETS_FILE}\` or \`wrangler secret put\`).
${JSON.stringify(config, null, 2)}
`;
}

function workerEntry(plan: DeploymentPlan, outDir: string): string {
  const signIns = deploymentImports(plan);
  const providers = providerLines(plan, outDir);
  const triage = plan.deployment.tenants.some((tenant) => tenant.triage.type !== 'rules');
  const operator = plan.deployment.server.operatorToken?.slice(2, -1);
  return `// Generated by \`factory deploy cloudflare\` from ${plan.file}; generate it again rather than edit it.
// The tenants come from ${DEPLOYMENT_FILE}, embedded in the bundle by wrangler. Its secret fields are
// references to Worker secrets, resolved once per isolate from the Worker's bindings.
import {
  cacheConnections,
  consoleJsonLogger,
  createFactoryWorker,
  FactoryStateObject,
  resolveWorkerSecrets,
  workerVariables,
} from '@software-factory/cloudflare';
import { ${signIns.names} } from '@software-factory/cli/deployment';
${triage ? "import { createTriage } from '@software-factory/llm-triage';\n" : ''}${providers.imports}import deployment from './${DEPLOYMENT_FILE}' with { type: 'json' };
${providers.registry}
export { FactoryStateObject };

const logger = consoleJsonLogger({ fields: { component: 'factory-worker' } });

export default createFactoryWorker({
  version: deployment.version,
  logger,
  ${publicUrlOption(plan.deployment.server.publicUrl)}${plan.deployment.observability?.traceUrl ? 'traceUrl: deployment.observability.traceUrl,\n  ' : ''}operatorToken: ${operator ? `(env) => env.${operator}` : 'false'},
  // The config's tenants, and those added through the admin API (their references are Worker secrets too).
  tenants: async ({ env, store, cache, metrics }) => {
    const resolved = await resolveWorkerSecrets(deployment, env);
    // What was resolved is scrubbed from every log line from here on.
    logger.addSecrets(resolvedSecretValues(deployment, resolved));
    return deploymentTenants(resolved, {
      store,
      providers,
      logger,
      metrics,
      env: workerVariables(env),${triage ? '\n      createTriage,' : ''}${signIns.wiring ? `\n      ${signIns.wiring}` : ''}
      ...(cache ? { cacheConnections: (tenant, check) => cacheConnections(cache, tenant, check) } : {}),
    });
  },
});
`;
}

function publicUrlOption(publicUrl: string | undefined): string {
  return publicUrl ? `publicUrl: deployment.server.publicUrl,\n  ` : '';
}
