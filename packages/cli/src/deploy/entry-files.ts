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

/** The validated config with its references, as JSON next to the entry. */
export function writeDeployment(plan: DeploymentPlan, outDir: string): string {
  const file = path.join(outDir, DEPLOYMENT_FILE);
  writeFileSync(file, `${JSON.stringify(plan.deployment, null, 2)}\n`);
  return file;
}
