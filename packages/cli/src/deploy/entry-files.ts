import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DeploymentPlan } from './deploy-config.ts';

/** The config the entry imports, and the bundle embeds. */
export const DEPLOYMENT_FILE = 'factory.deployment.json';

/** SDKs our packages load on first use (a model triage, Agent Relay), when a config asks for them. */
export const OPTIONAL_SDKS = ['@anthropic-ai/sdk', 'openai', '@agent-relay/sdk'] as const;
/** The ones @software-factory/llm-triage imports, whichever provider a config names. */
export const TRIAGE_SDKS = ['@anthropic-ai/sdk', 'openai'] as const;

/** The packages a generated entry imports, by name. */
export function entryPackages(plan: DeploymentPlan, runtime: string): string[] {
  const packages = [runtime, '@software-factory/cli'];
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
 * The names the entry imports from `@software-factory/cli/deployment`, and the sign-in support's wiring
 * line: `signIns` only when the deployment signs tenants in itself (it has a credentials key), so a
 * bundle without one leaves that support out.
 */
export function deploymentImports(
  plan: DeploymentPlan,
  register: boolean,
): { names: string; wiring: string } {
  const signsIn = plan.deployment.server.credentialsKey !== undefined;
  const names = [
    'deploymentTenants',
    ...(register ? ['registerProviders'] : []),
    ...(signsIn ? ['signIns'] : []),
  ];
  return { names: names.join(', '), wiring: signsIn ? 'signIns,' : '' };
}

/** The validated config with its references, as JSON next to the entry. */
export function writeDeployment(plan: DeploymentPlan, outDir: string): string {
  const file = path.join(outDir, DEPLOYMENT_FILE);
  writeFileSync(file, `${JSON.stringify(plan.deployment, null, 2)}\n`);
  return file;
}

/**
 * The lines of an entry that import the `providers` export of each module the config's `providers:` names
 * and register them, before the tenants are built: a path relative to the output folder, a package by
 * its name. (A bare `import 'module'` would be dropped: our packages are free of side effects.)
 */
export function providerModuleLines(
  plan: DeploymentPlan,
  outDir: string,
): { imports: string; register: string } {
  if (plan.providerModules.length === 0) return { imports: '', register: '' };
  const imports = plan.providerModules.map((module, index) => {
    let from = module.specifier;
    if (module.path) {
      from = path.relative(outDir, module.path).split(path.sep).join('/');
      if (!from.startsWith('.')) from = `./${from}`;
    }
    return `import { providers as providers${index} } from ${JSON.stringify(from)};\n`;
  });
  const names = plan.providerModules.map((_, index) => `providers${index}`).join(', ');
  return {
    imports: imports.join(''),
    register: `\n// The providers of the config's \`providers:\` modules, registered before the tenants are built.\nregisterProviders([${names}]);\n`,
  };
}
