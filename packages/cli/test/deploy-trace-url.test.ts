import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployScenario, makeProject, removeProject, SECRETS } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';

// The dashboard's trace link (observability.traceUrl) reaches the app `factory deploy` builds.

const TRACE_URL = 'https://traces.example/explore?traceId={traceId}';
const scenario = new DeployScenario();
let project: string;

beforeAll(async () => {
  await scenario.start();
  project = makeProject({ prefix: 'factory-deploy-trace-' });
  writeFileSync(
    path.join(project, 'factory.config.yaml'),
    `${scenario.config()}observability:\n  traceUrl: "${TRACE_URL}"\n`,
  );
}, 60_000);
afterAll(async () => {
  await scenario.stop();
  removeProject(project);
});

describe('factory deploy with observability.traceUrl', () => {
  for (const [target, entryFile] of [
    ['aws', 'entry.mjs'],
    ['cloudflare', 'worker.mjs'],
  ] as const)
    it(`embeds it in ${target}'s deployment and hands it to the app`, async () => {
      const result = await runFactory(['deploy', target, '--out', target], {
        cwd: project,
        env: { ...SECRETS },
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const deployment = JSON.parse(
        readFileSync(path.join(project, target, 'factory.deployment.json'), 'utf8'),
      ) as { observability?: { traceUrl?: string } };
      expect(deployment.observability).toEqual({ traceUrl: TRACE_URL });
      const entry = readFileSync(path.join(project, target, entryFile), 'utf8');
      expect(entry).toContain('traceUrl: deployment.observability.traceUrl,');
    }, 120_000);
});
