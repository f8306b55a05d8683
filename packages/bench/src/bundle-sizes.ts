import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { wranglerSourceArgs } from '../../../scripts/workspace-sources.ts';
import { FACTORY_ENV } from './bench-config.ts';
import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import { type ColdStartFigures, coldStarts, httpApiEvent } from './cold-start.ts';
import { deployProject } from './deploy-project.ts';
import { VendorServer } from './loopback/vendor-server.ts';
import { startDynalite, tableFromTemplate } from './targets/dynamo-target.ts';
import { linearIssueCreated } from './vendor-payloads.ts';

export type BundleKind = 'worker' | 'lambda';

export interface BundleFigures {
  bundle: string;
  kind: BundleKind;
  rawBytes: number;
  gzipBytes: number;
  /** Lambda only: fresh `node` processes importing the bundle and answering a first webhook. */
  coldStart?: ColdStartFigures;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string) => join(dirname(require.resolve(name)), '..');
const binDir = join(packageDir('@software-factory/sdk'), '..', '..', 'node_modules', '.bin');

/**
 * The four bundles a deployer uploads, and each Lambda's cold start: the Worker and the Lambda of the
 * platform packages' examples (what `wrangler deploy` and `npm run bundle` build from them), and the
 * ones `factory deploy cloudflare` and `factory deploy aws` build from the bench tenant's config.
 */
export async function measureBundles(options: { coldStartRuns: number }): Promise<BundleFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), 'factory-bench-bundles-'));
  const vendor = await new VendorServer().start();
  try {
    const deployed = deployProject(dir, vendor.url);
    const cloudflare = packageDir('@software-factory/cloudflare');
    const exampleLambda = exampleLambdaBundle(join(dir, 'example-lambda'));
    const figures: BundleFigures[] = [
      {
        bundle: 'Worker: @software-factory/cloudflare example',
        kind: 'worker',
        ...workerSize(join(cloudflare, 'wrangler.jsonc'), join(dir, 'example-worker')),
      },
      {
        bundle: 'Worker: factory deploy cloudflare',
        kind: 'worker',
        ...workerSize(deployed.wrangler, join(dir, 'deployed-worker')),
      },
      { bundle: 'Lambda: @software-factory/aws example', kind: 'lambda', ...fileSize(exampleLambda) },
      { bundle: 'Lambda: factory deploy aws', kind: 'lambda', ...fileSize(deployed.lambda) },
    ];
    const [, , example, deployedLambda] = figures as [
      BundleFigures,
      BundleFigures,
      BundleFigures,
      BundleFigures,
    ];
    await withTable(async (aws) => {
      const runs = options.coldStartRuns;
      // The deployment's first request: a signed Linear issue in Backlog, verified, parsed, checked
      // against the tenant's connections (Linear, Slack and GitHub, on loopback), de-duplicated, recorded
      // and judged not ready: what a fresh instance does before its first answer.
      deployedLambda.coldStart = await coldStarts(deployed.lambda, {
        runs,
        env: { ...aws, ...FACTORY_ENV },
        event: (run) =>
          httpApiEvent(
            linearIssueCreated(10_000 + run, {
              tenant: BENCH_TENANT,
              secret: BENCH_SECRETS.linear,
              now: Date.now(),
              backlog: true,
            }),
          ),
        expect: 200,
      });
      // The example's vendors are the real ones (its wiring takes no URLs), which a benchmark does not
      // call: its import alone, no first answer.
      example.coldStart = await coldStarts(exampleLambda, { runs, env: { ...aws, ...exampleEnvironment() } });
    });
    return figures;
  } finally {
    await vendor.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Worker as `wrangler deploy` would upload it (`--dry-run`): every module, raw and gzip. */
function workerSize(config: string, outDir: string): { rawBytes: number; gzipBytes: number } {
  const build = spawnSync(
    join(binDir, 'wrangler'),
    // Our package names resolve to their sources, as the Lambda's bundle script does: never a stale build.
    ['deploy', '--dry-run', '--outdir', outDir, '--config', config, ...wranglerSourceArgs()],
    {
      cwd: dirname(config),
      encoding: 'utf8',
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CI: 'true',
      },
    },
  );
  if (build.status !== 0)
    throw new Error(`wrangler deploy --dry-run failed:\n${build.stdout}${build.stderr}`);
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of readdirSync(outDir, { recursive: true, encoding: 'utf8' }))
    if (/\.(m?js|wasm)$/.test(file)) {
      const bytes = readFileSync(join(outDir, file));
      rawBytes += bytes.byteLength;
      gzipBytes += gzipSync(bytes).byteLength;
    }
  return { rawBytes, gzipBytes };
}

/** The example handler bundled by the AWS package's own script. */
function exampleLambdaBundle(outDir: string): string {
  execFileSync(
    process.execPath,
    [join(packageDir('@software-factory/aws'), 'scripts', 'bundle.ts'), '--outdir', outDir],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return join(outDir, 'handler.mjs');
}

function fileSize(file: string): { rawBytes: number; gzipBytes: number } {
  const bytes = readFileSync(file);
  return { rawBytes: bytes.byteLength, gzipBytes: gzipSync(bytes).byteLength };
}

/** The example handler's variables (`examples/tenant-from-env.ts`), for the bench tenant. */
function exampleEnvironment(): Record<string, string> {
  return {
    FACTORY_TENANT: BENCH_TENANT,
    FACTORY_SETTINGS: JSON.stringify({
      routes: [
        { name: 'app', match: { labels: ['factory'] }, repository: 'Codertocat/Hello-World', agent: 'coder' },
      ],
    }),
    LINEAR_API_KEY: FACTORY_ENV.BENCH_LINEAR_API_KEY,
    LINEAR_WEBHOOK_SECRET: BENCH_SECRETS.linear,
    SLACK_BOT_TOKEN: FACTORY_ENV.BENCH_SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET: BENCH_SECRETS.slack,
    SLACK_CHANNEL: 'C0BENCH001',
    GITHUB_TOKEN: FACTORY_ENV.BENCH_GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET: BENCH_SECRETS.github,
    FLEET_URL: 'https://fleet.example.com',
    FLEET_SECRET: FACTORY_ENV.BENCH_FLEET_SECRET,
  };
}

/**
 * dynalite in its own process with a table from the template, and the environment Lambda would give a
 * function on it: the table's name, a region, role credentials and the endpoint.
 */
async function withTable(use: (env: Record<string, string>) => Promise<void>): Promise<void> {
  const dynalite = await startDynalite();
  const endpoint = `http://127.0.0.1:${dynalite.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new CreateTableCommand(tableFromTemplate('factory-bench')));
    await use({
      FACTORY_TABLE: 'factory-bench',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    });
  } finally {
    client.destroy();
    await dynalite.stop();
  }
}
