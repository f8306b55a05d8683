// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} is written literally: CloudFormation substitutions and config references.
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import { type AwsArtifacts, writeAwsArtifacts } from '../deploy/aws-artifacts.ts';
import { type CloudflareArtifacts, writeCloudflareArtifacts } from '../deploy/cloudflare-artifacts.ts';
import {
  type DeploymentPlan,
  type DeployTarget,
  loadDeploymentPlan,
  withSecretStore,
} from '../deploy/deploy-config.ts';
import { findOnPath, findTool, runTool, shellWord } from '../deploy/deploy-tools.ts';
import { webhookLines } from '../deploy/webhooks.ts';
import { cloneTsconfig } from '../node-script.ts';
import { DEFAULT_CONFIG } from './run-config.ts';

interface DeployOptions {
  config?: string;
  out?: string;
}

interface AwsOptions extends DeployOptions {
  stackName: string;
  region?: string;
  secretsFrom?: string;
}

interface CloudflareOptions extends DeployOptions {
  name: string;
}

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export function deployCommand(): Command {
  const deploy = new Command('deploy').description(
    'build a serverless deployment of factory.config.yaml (its tenants embedded, secrets as references) and deploy it with sam or wrangler; --out only writes the artifacts',
  );
  deploy.addCommand(
    new Command('aws')
      .description(
        'Lambda behind an HTTP API, DynamoDB, EventBridge Scheduler: the bundled handler and a SAM template, then `sam deploy` when sam is on PATH',
      )
      .option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`)
      .option(
        '-o, --out <dir>',
        'write the artifacts there and stop (default: .factory/deploy/aws, then deploy)',
      )
      .option('--stack-name <name>', 'the CloudFormation stack', 'factory')
      .option('--region <region>', "the AWS region (default: sam's, from your AWS config)")
      .option(
        '--secrets-from <store>',
        'read every ${NAME} from one store instead of NoEcho parameters: ssm:<path> (parameter <path>/NAME) or secretsmanager:<secret id> (key NAME of its JSON)',
      )
      .action(async (options: AwsOptions) => {
        await deployAws(options);
      }),
  );
  deploy.addCommand(
    new Command('cloudflare')
      .description(
        'a Worker with a Durable Object, KV and a Cron Trigger: the entry, wrangler.jsonc and a secrets file, then `wrangler deploy` when wrangler is installed',
      )
      .option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`)
      .option(
        '-o, --out <dir>',
        'write the artifacts there and stop (default: .factory/deploy/cloudflare, then deploy)',
      )
      .option('--name <name>', 'the Worker', 'factory')
      .action(async (options: CloudflareOptions) => {
        await deployCloudflare(options);
      }),
  );
  return deploy;
}

async function planFor(
  target: DeployTarget,
  options: DeployOptions,
): Promise<{ plan: DeploymentPlan; outDir: string }> {
  const plan = await loadDeploymentPlan(options.config ?? DEFAULT_CONFIG, target);
  const outDir = path.resolve(options.out ?? path.join(plan.projectDir, '.factory', 'deploy', target));
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(outDir);
  } catch {}
  if (existing && !existing.isDirectory())
    throw new CliError(`--out ${options.out}: not a folder`, EXIT_USAGE);
  for (const note of plan.notes) say(`note: ${note}`);
  return { plan, outDir };
}

async function deployAws(options: AwsOptions): Promise<void> {
  if (!NAME.test(options.stackName))
    throw new CliError(
      `--stack-name ${options.stackName}: a stack name is letters, digits and "-", starting with a letter`,
      EXIT_USAGE,
    );
  const planned = await planFor('aws', options);
  const plan = options.secretsFrom ? withSecretStore(planned.plan, options.secretsFrom) : planned.plan;
  const { outDir } = planned;
  const artifacts = await writeAwsArtifacts(plan, outDir);
  const size = statSync(artifacts.bundle).size;
  say(
    `Wrote ${relative(outDir)}/: template.yaml, bundle/handler.mjs (${Math.round(size / 1024)} KiB), entry.mjs, factory.deployment.json`,
  );
  sayReferences(plan);

  const parameters = artifacts.secrets.environment;
  const base = [
    'deploy',
    '--template-file',
    'template.yaml',
    '--stack-name',
    options.stackName,
    '--capabilities',
    'CAPABILITY_IAM',
    '--resolve-s3',
    '--no-confirm-changeset',
    '--no-fail-on-empty-changeset',
    ...(options.region ? ['--region', options.region] : []),
  ];
  const printed = [
    `cd ${shellWord(outDir)} && sam ${base.map(shellWord).join(' ')}`,
    ...(parameters.length > 0
      ? [` --parameter-overrides ${parameters.map((p) => `${p.parameter}="$${p.variable}"`).join(' ')}`]
      : []),
  ].join(' \\\n ');

  if (options.out) {
    say(`\nDeploy it with (the AWS SAM CLI, credentials for the account):\n  ${printed}`);
    sayWebhooks(plan, artifacts, undefined);
    return;
  }
  const sam = findOnPath('sam');
  if (!sam) {
    say(`\nDeploy it with:\n  ${printed}`);
    sayWebhooks(plan, artifacts, undefined);
    throw new CliError(
      'sam (the AWS SAM CLI) is not on PATH: install it (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html) and run the command above',
      EXIT_FAILURE,
    );
  }
  const missing = parameters.filter((p) => !process.env[p.variable]).map((p) => p.variable);
  if (missing.length > 0)
    throw new CliError(
      `set ${missing.join(', ')} in the environment: ${missing.length > 1 ? 'they are' : 'it is'} passed to the stack as NoEcho parameters (or reference them as \${ssm:…} / \${secretsmanager:…})`,
      EXIT_USAGE,
    );
  const overrides = parameters.map((p) => `${p.parameter}=${process.env[p.variable]}`);
  say(
    `\nRunning sam ${base.join(' ')}${parameters.length > 0 ? ` --parameter-overrides ${parameters.map((p) => `${p.parameter}=…`).join(' ')}` : ''}`,
  );
  const result = await runTool(
    sam,
    [...base, ...(overrides.length > 0 ? ['--parameter-overrides', ...overrides] : [])],
    {
      cwd: outDir,
    },
  );
  if (result.code !== 0)
    throw new CliError(`sam deploy failed (exit ${result.code}); see its output above`, EXIT_FAILURE);
  const apiUrl = /https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/.exec(
    result.output,
  )?.[0];
  sayWebhooks(plan, artifacts, apiUrl);
}

async function deployCloudflare(options: CloudflareOptions): Promise<void> {
  if (!NAME.test(options.name) || options.name.length > 63)
    throw new CliError(
      `--name ${options.name}: a Worker name is letters, digits and "-", starting with a letter, at most 63`,
      EXIT_USAGE,
    );
  const { plan, outDir } = await planFor('cloudflare', options);
  const artifacts = await writeCloudflareArtifacts(plan, outDir, { name: options.name, env: process.env });
  say(
    `Wrote ${relative(outDir)}/: wrangler.jsonc, worker.mjs, factory.deployment.json${artifacts.secretsFile ? ', .secrets.json (0600, git-ignored)' : ''}`,
  );
  sayReferences(plan);
  const config = relative(artifacts.wrangler);
  const deployArgs = [
    'deploy',
    '--config',
    config,
    ...(artifacts.secretsFile ? ['--secrets-file', relative(artifacts.secretsFile)] : []),
  ];
  const printed = [
    ...artifacts.missing.map((name) => `npx wrangler secret put ${name} --config ${shellWord(config)}`),
    `npx wrangler ${deployArgs.map(shellWord).join(' ')}`,
    ...(artifacts.secretsFile ? [`rm ${shellWord(relative(artifacts.secretsFile))}`] : []),
  ];
  if (artifacts.missing.length > 0)
    say(
      `\nNot set in this environment, so not in a secrets file: ${artifacts.missing.join(', ')}; put ${artifacts.missing.length > 1 ? 'them' : 'it'} with \`wrangler secret put\`.`,
    );

  if (options.out) {
    say(`\nDeploy it with (wrangler, logged in to your Cloudflare account):\n  ${printed.join('\n  ')}`);
    sayWebhooks(plan, artifacts, undefined);
    return;
  }
  let ran = false;
  try {
    if (artifacts.missing.length > 0)
      throw new CliError(
        `set ${artifacts.missing.join(', ')} in the environment: the deploy uploads ${artifacts.missing.length > 1 ? 'them' : 'it'} as Worker secrets`,
        EXIT_USAGE,
      );
    const wrangler = findTool('wrangler', plan.projectDir);
    if (!wrangler) {
      say(`\nDeploy it with:\n  ${printed.join('\n  ')}`);
      sayWebhooks(plan, artifacts, undefined);
      throw new CliError(
        'wrangler is not installed: run `npm install --save-dev wrangler` in your project, then the commands above',
        EXIT_FAILURE,
      );
    }
    say(`\nRunning wrangler ${deployArgs.join(' ')}`);
    ran = true;
    // Run from its sources (a clone), the CLI has wrangler bundle our packages' sources too.
    const result = await runTool(
      wrangler,
      [...deployArgs, ...(cloneTsconfig ? ['--tsconfig', cloneTsconfig] : [])],
      { cwd: process.cwd() },
    );
    if (result.code !== 0)
      throw new CliError(`wrangler deploy failed (exit ${result.code}); see its output above`, EXIT_FAILURE);
    const workerUrl = /https:\/\/[A-Za-z0-9.-]+\.workers\.dev/.exec(result.output)?.[0];
    sayWebhooks(plan, artifacts, workerUrl);
  } finally {
    // Used once: the values live on as Worker secrets, not in a file.
    if (ran && artifacts.secretsFile) rmSync(artifacts.secretsFile, { force: true });
  }
}

function sayReferences(plan: DeploymentPlan): void {
  if (plan.references.length === 0) return;
  say(
    `Secrets (references, resolved by ${plan.target === 'aws' ? 'the function at its first invocation' : 'the Worker from its secrets'}):`,
  );
  for (const { reference, fields } of plan.references) say(`  ${reference.text}  ${fields.join(', ')}`);
}

/** Which URL to register at each vendor, for each tenant. */
function sayWebhooks(
  plan: DeploymentPlan,
  artifacts: AwsArtifacts | CloudflareArtifacts,
  deployedUrl: string | undefined,
): void {
  if (artifacts.webhooks.length === 0) return;
  const publicUrl = plan.deployment.server.publicUrl?.replace(/\/+$/, '');
  const placeholder =
    plan.target === 'aws' ? '<WebhookBaseUrl>' : `https://${'<worker>'}.<subdomain>.workers.dev`;
  const base = publicUrl ?? deployedUrl ?? placeholder;
  say(`\nRegister these webhook URLs at each vendor${publicUrl ? ' (server.publicUrl)' : ''}:`);
  for (const line of webhookLines(artifacts.webhooks, base)) say(line);
  if (!publicUrl && !deployedUrl)
    say(
      plan.target === 'aws'
        ? '(<WebhookBaseUrl> is an output of the stack; `sam deploy` prints it, and each URL above as Webhook<Tenant><Source>.)'
        : '(`wrangler deploy` prints the Worker’s URL; or set server.publicUrl to your custom domain.)',
    );
}

function relative(file: string): string {
  const shown = path.relative(process.cwd(), file);
  return shown === '' ? '.' : shown.startsWith('..') ? file : shown;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
