// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployScenario, makeProject, removeProject } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';

const scenario = new DeployScenario();
let project: string;

beforeAll(async () => {
  await scenario.start();
  project = makeProject();
  writeFileSync(
    path.join(project, 'factory.config.yaml'),
    `${scenario.config()}triage:\n  type: llm\n  provider: anthropic\n  model: claude-sonnet-4-5\n  apiKey: \${ANTHROPIC_API_KEY}\n`,
  );
}, 60_000);
afterAll(async () => {
  await scenario.stop();
  removeProject(project);
});

describe('a tenant triaged by a model', () => {
  it('cloudflare: the entry passes createTriage too', async () => {
    const result = await runFactory(['deploy', 'cloudflare', '--out', 'cf'], { cwd: project });
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(project, 'cf/worker.mjs'), 'utf8')).toContain('      createTriage,');
  }, 120_000);

  // Leaving out the SDK a config does not use (external on Lambda, aliased to a module that names it on
  // Workers) is checked by the packaging test: here every package resolves from the repository.
  it('aws: the entry passes createTriage from @software-factory/llm-triage to the tenants', async () => {
    const result = await runFactory(['deploy', 'aws', '--out', 'aws'], { cwd: project });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(project, 'aws/entry.mjs'), 'utf8')).toContain(
      "import { createTriage } from '@software-factory/llm-triage';",
    );
  }, 120_000);
});
