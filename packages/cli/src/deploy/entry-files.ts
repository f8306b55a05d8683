import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as providersRegistry from '@software-factory/providers/registry';
import type { DeploymentPlan } from './deploy-config.ts';

/** The config the entry imports, and the bundle embeds. */
export const DEPLOYMENT_FILE = 'factory.deployment.json';

/** SDKs our packages load on first use (a model triage, Agent Relay), when a config asks for them. */
export const OPTIONAL_SDKS = ['@anthropic-ai/sdk', 'openai', '@agent-relay/sdk'] as const;
/** The ones @software-factory/llm-triage imports, whichever provider a config names. */
export const TRIAGE_SDKS = ['@anthropic-ai/sdk', 'openai'] as const;

/** The packages a generated entry imports, by name. */
export function entryPackages(plan: DeploymentPlan, runtime: string): string[] {
  const packages = [runtime, '@software-factory/cli', '@software-factory/providers'];
  const triages = plan.deployment.tenants.map((tenant) => tenant.triage);
  if (triages.some((triage) => triage.type !== 'rules')) packages.push('@software-factory/llm-triage');
  for (const triage of triages)
    if (triage.type !== 'rules') {
      const sdk = triage.provider === 'anthropic' ? '@anthropic-ai/sdk' : 'openai';
      if (!packages.includes(sdk)) packages.push(sdk);
    }
  return packages;
}

/**
 * The names the entry imports from `@software-factory/cli/deployment`, and their wiring line:
 * `githubActionsFleet` only when a tenant's fleet is github-actions, `signIns` only when the deployment
 * signs tenants in itself (it has a credentials key), `remoteTenantIssues` only when the admin API is on
 * (an operator token), so a bundle without them leaves their code out.
 */
export function deploymentImports(plan: DeploymentPlan): { names: string; wiring: string } {
  const signsIn = plan.deployment.server.credentialsKey !== undefined;
  const adminApi = plan.deployment.server.operatorToken !== undefined;
  const actions = plan.deployment.tenants.some((tenant) => tenant.fleet?.type === 'github-actions');
  const wired = [
    ...(actions ? ['githubActionsFleet'] : []),
    ...(signsIn ? ['signIns'] : []),
    ...(adminApi ? ['remoteTenantIssues'] : []),
  ];
  return {
    names: ['deploymentTenants', 'resolvedSecretValues', ...wired].join(', '),
    wiring: wired.map((name) => `${name},`).join(' '),
  };
}

/** The validated config with its references, as JSON next to the entry. */
export function writeDeployment(plan: DeploymentPlan, outDir: string): string {
  const file = path.join(outDir, DEPLOYMENT_FILE);
  writeFileSync(file, `${JSON.stringify(plan.deployment, null, 2)}\n`);
  return file;
}

/**
 * The lines of an entry that make the registry of the providers the deployment carries, and no other:
 * each built-in one the plan names, imported by its export's name from `@software-factory/providers/registry`
 * (so the bundler leaves the other vendors out), with the built-in add-ons the plan names (Linear's
 * agent mode only when a tenant uses it or the admin API is on), and the `providers` export of each module the config's
 * `providers:` names (a path relative to the output folder, a package by its name). A bare `import
 * 'module'` would be dropped: our packages are free of side effects.
 */
export function providerLines(plan: DeploymentPlan, outDir: string): { imports: string; registry: string } {
  const builtins = [...plan.builtinProviders.map(builtinExportName), ...plan.builtinAddOns];
  const modules = plan.providerModules.map((module, index) => {
    let from = module.specifier;
    if (module.path) {
      from = path.relative(outDir, module.path).split(path.sep).join('/');
      if (!from.startsWith('.')) from = `./${from}`;
    }
    return { name: `providers${index}`, from };
  });
  const entries = [...builtins, ...modules.map((module) => `...${module.name}`)];
  return {
    imports: `import { ${[...builtins, 'ProviderRegistry'].join(', ')} } from '@software-factory/providers/registry';
${modules.map((module) => `import { providers as ${module.name} } from ${JSON.stringify(module.from)};\n`).join('')}`,
    registry: `
// The providers this deployment carries: those its config's tenants use, and those its \`providers:\` list
// adds. A tenant added through the admin API may name these only.
const providers = new ProviderRegistry([${entries.join(', ')}]);
`,
  };
}

/** The name `@software-factory/providers/registry` exports a built-in provider's entry under. */
function builtinExportName(type: string): string {
  const entry = providersRegistry.BUILTIN_PROVIDERS.find((builtin) => builtin.type === type);
  const name = Object.entries(providersRegistry).find(([, value]) => value === entry)?.[0];
  if (!entry || !name) throw new Error(`@software-factory/providers/registry exports no provider "${type}"`);
  return name;
}
