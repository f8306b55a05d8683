// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, ROOT, removeProject } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';

let project: string;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => removeProject(project));

const factory = (args: string[], cwd = project) => runFactory(args, { cwd });

/** A valid deployable tenant, section by section; a case replaces or adds sections. */
const SECTIONS: Record<string, string> = {
  tenant: 'tenant: acme',
  intentProvider: `intentProvider:
  type: linear
  transport: direct
  apiKey: \${LINEAR_API_KEY}
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}`,
  clarificationChannel: `clarificationChannel:
  type: slack
  transport: direct
  botToken: \${SLACK_BOT_TOKEN}
  signingSecret: \${SLACK_SIGNING_SECRET}
  channel: C0123456789`,
  outputTarget: `outputTarget:
  type: github
  transport: direct
  token: \${GITHUB_TOKEN}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}`,
  fleet: `fleet:
  type: http
  url: https://fleet.acme.example
  secret: \${FLEET_SECRET}`,
  routes: `routes:
  - { name: app, match: { labels: [factory] }, repository: acme/app, agent: claude }`,
};

/** The config with the changed sections last, and the line the first changed one starts on. */
function configWith(changed: Record<string, string>): { text: string; offset: number } {
  const kept = Object.entries(SECTIONS)
    .filter(([name]) => !(name in changed))
    .map(([, text]) => text);
  const head = kept.join('\n');
  return { text: `${head}\n${Object.values(changed).join('\n')}\n`, offset: head.split('\n').length };
}

describe('factory deploy: wrong arguments are one line and exit 2', () => {
  it.each([
    [['deploy', 'gcp'], /^factory: unknown command 'gcp'/],
    [['deploy', 'aws', '--stack'], /^factory: unknown option '--stack'/],
    [['deploy', 'aws', '--out'], /^factory: option '-o, --out <dir>' argument missing/],
    [['deploy', 'aws', '--stack-name', '9lives'], /^factory: --stack-name 9lives: a stack name is letters/],
    [['deploy', 'cloudflare', '--name', 'my_worker'], /^factory: --name my_worker: a Worker name is letters/],
    [['deploy', 'cloudflare', 'extra'], /^factory: too many arguments for 'cloudflare'/],
  ])('factory %j', async (args, says) => {
    const result = await factory(args);
    expect(result.stderr).toMatch(says);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.code).toBe(2);
  });

  it('factory deploy alone shows the two targets', async () => {
    const result = await factory(['deploy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('aws');
    expect(result.stderr).toContain('cloudflare');
  });

  it('a config that is not there', async () => {
    const result = await factory(['deploy', 'aws', '--config', 'nope.yaml']);
    expect(result.stderr).toBe(
      'factory: nope.yaml: no such config file (create one with `factory init`, or pass --config <file>)\n',
    );
    expect(result.code).toBe(2);
  });

  it('--secrets-from with a store AWS does not have', async () => {
    writeFileSync(path.join(project, 'valid.yaml'), configWith({}).text);
    const result = await factory([
      'deploy',
      'aws',
      '-c',
      'valid.yaml',
      '--out',
      'o',
      '--secrets-from',
      'vault:x',
    ]);
    expect(result.stderr).toMatch(/^factory: --secrets-from vault:x: expected ssm:<parameter path>/);
    expect(result.code).toBe(2);
  });
});

interface BadConfig {
  name: string;
  targets: ('aws' | 'cloudflare')[];
  sections: Record<string, string>;
  /** Line and column within the changed sections. */
  at: [line: number, column: number];
  field: string;
  says: string;
}

const BAD: BadConfig[] = [
  {
    name: 'a local fleet in a serverless deployment',
    targets: ['aws', 'cloudflare'],
    sections: { fleet: 'fleet:\n  type: local\n  command: claude -p' },
    at: [2, 9],
    field: 'fleet.type',
    says: 'a local fleet runs agents on this machine',
  },
  {
    name: 'a secret store on Workers',
    targets: ['cloudflare'],
    sections: {
      outputTarget:
        'outputTarget:\n  type: github\n  transport: direct\n  token: ${ssm:/factory/github}\n  webhookSecret: ${GITHUB_WEBHOOK_SECRET}',
    },
    at: [4, 10],
    field: 'outputTarget.token',
    says: '${ssm:/factory/github}: a Worker reads its secrets from its own bindings',
  },
  {
    name: 'a secret store AWS does not have',
    targets: ['aws'],
    sections: {
      outputTarget:
        'outputTarget:\n  type: github\n  transport: direct\n  token: ${vault:factory/github}\n  webhookSecret: ${GITHUB_WEBHOOK_SECRET}',
    },
    at: [4, 10],
    field: 'outputTarget.token',
    says: '${vault:factory/github}: unknown secret store "vault"',
  },
  {
    // A provider's left-out token is its usual variable (the shorthand, below); a fleet's has none.
    name: 'a token with no reference (nothing `factory connect` stored reaches a deployment)',
    targets: ['aws', 'cloudflare'],
    sections: { fleet: 'fleet:\n  type: github-actions\n  workflow: agent.yml' },
    at: [1, 1],
    field: 'fleet',
    says: 'the github-actions fleet has no `token`',
  },
  {
    name: 'a reference in a field that is not a secret',
    targets: ['aws', 'cloudflare'],
    sections: { template: 'template:\n  branchPrefix: ${BRANCH_PREFIX}' },
    at: [2, 17],
    field: 'template.branchPrefix',
    says: 'is not a secret field, so ${BRANCH_PREFIX} would be used as written',
  },
  {
    name: 'a local folder as the mount',
    targets: ['aws', 'cloudflare'],
    sections: { mount: 'mount:\n  type: directory\n  path: ./workspace' },
    at: [2, 9],
    field: 'mount.type',
    says: 'a local folder cannot be mounted',
  },
  {
    name: 'a tick shorter than a minute',
    targets: ['aws', 'cloudflare'],
    sections: { tick: 'tick:\n  interval: 30s' },
    at: [2, 13],
    field: 'tick.interval',
    says: "a deployment's tick is a schedule of whole minutes",
  },
];

describe('factory deploy: a config the target cannot run is refused at its line and column', () => {
  for (const bad of BAD)
    for (const target of bad.targets)
      it(`${target}: ${bad.name}`, async () => {
        const { text, offset } = configWith(bad.sections);
        writeFileSync(path.join(project, 'bad.yaml'), text);
        const result = await factory(['deploy', target, '--config', 'bad.yaml', '--out', 'never']);
        const [line, column] = bad.at;
        expect(result.stderr).toContain(`bad.yaml:${offset + line}:${column} ${bad.field}: ${bad.says}`);
        expect(result.code).toBe(2);
      });

  it('every problem at once, in file order, and nothing written', async () => {
    const { text } = configWith({
      fleet: 'fleet:\n  type: local\n  command: claude -p',
      tick: 'tick:\n  interval: 30s',
    });
    writeFileSync(path.join(project, 'two.yaml'), text);
    const result = await factory(['deploy', 'cloudflare', '--config', 'two.yaml', '--out', 'never-two']);
    expect(result.stderr).toMatch(
      /^factory: 2 problems in the config:\n {2}two\.yaml:\d+:9 fleet\.type: .*\n {2}two\.yaml:\d+:13 tick\.interval: /,
    );
    expect(result.code).toBe(2);
  });
});

describe('the shorthand: a provider by its name', () => {
  it('deploys with each left-out secret as its usual variable, on both targets', async () => {
    writeFileSync(
      path.join(project, 'short.yaml'),
      `intentProvider: linear
clarificationChannel: { type: slack, channel: C0123456789 }
outputTarget: github
fleet: { type: http, url: https://fleet.acme.example, secret: "\${FLEET_SECRET}" }
routes:
  - { name: app, match: { labels: [factory] }, repository: acme/app, agent: claude }
`,
    );
    const cloudflare = await factory(['deploy', 'cloudflare', '-c', 'short.yaml', '--out', 'short-cf']);
    expect(cloudflare.stderr).toBe('');
    expect(cloudflare.code).toBe(0);
    const wrangler = JSON.parse(
      readFileSync(path.join(project, 'short-cf/wrangler.jsonc'), 'utf8').replace(/^\/\/.*$/gm, ''),
    );
    expect(wrangler.secrets.required.sort()).toEqual(
      [
        'FLEET_SECRET',
        'GITHUB_TOKEN',
        'GITHUB_WEBHOOK_SECRET',
        'LINEAR_API_KEY',
        'LINEAR_WEBHOOK_SECRET',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
      ].sort(),
    );
    const aws = await factory(['deploy', 'aws', '-c', 'short.yaml', '--out', 'short-aws']);
    expect(aws.code).toBe(0);
    expect(aws.stdout).toContain('LinearApiKey="$LINEAR_API_KEY"');
  }, 120_000);

  it('deploys a GitHub App whose id and key are references: their format is checked where they are resolved', async () => {
    writeFileSync(
      path.join(project, 'app.yaml'),
      `intentProvider: linear
clarificationChannel: { type: slack, channel: C0123456789 }
outputTarget: { type: github, app: { appId: "\${GITHUB_APP_ID}", privateKey: "\${GITHUB_APP_PRIVATE_KEY}" } }
fleet: { type: http, url: https://fleet.acme.example, secret: "\${FLEET_SECRET}" }
routes:
  - { name: app, match: { labels: [factory] }, repository: acme/app, agent: claude }
`,
    );
    const aws = await factory(['deploy', 'aws', '-c', 'app.yaml', '--out', 'app-aws']);
    expect(aws.stderr).toBe('');
    expect(aws.code).toBe(0);
    expect(aws.stdout).toContain('GITHUB_APP_PRIVATE_KEY');
  }, 120_000);

  it('names what the providers and the tenant still need, at its place', async () => {
    writeFileSync(
      path.join(project, 'bare.yaml'),
      'intentProvider: linear\nclarificationChannel: slack\noutputTarget: github\n',
    );
    const result = await factory(['deploy', 'aws', '-c', 'bare.yaml', '--out', 'never-bare']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bare.yaml:1:1 fleet: where agents run: add fleet: { type: http');
    expect(result.stderr).toMatch(/bare\.yaml:2:23 clarificationChannel\.channel: /);
  });
});

describe('the root README’s deploy sections', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = (title: string) => {
    const start = readme.indexOf(`## ${title}`);
    const end = readme.indexOf('\n## ', start + 1);
    return readme.slice(start, end === -1 ? undefined : end);
  };

  it('install only published packages and the deploy tools', () => {
    for (const title of ['Deploy to AWS', 'Deploy to Cloudflare']) {
      const installed = [...section(title).matchAll(/npm install (?:--save-dev )?([^\n#&]+)/g)].flatMap(
        (match) => (match[1] as string).trim().split(/\s+/),
      );
      expect(installed.length).toBeGreaterThan(0);
      for (const name of installed)
        expect([name, /^@software-factory\/(cli|aws|cloudflare)$|^esbuild$|^wrangler$/.test(name)]).toEqual([
          name,
          true,
        ]);
    }
  });

  it('show a config that deploys to both targets as written', async () => {
    const config = /```yaml\n([\s\S]*?)```/.exec(section('Deploy to AWS'))?.[1] ?? '';
    writeFileSync(path.join(project, 'readme.yaml'), config);
    const names = [...config.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] as string);
    const env = Object.fromEntries(names.map((name) => [name, `value-of-${name}`]));
    const aws = await runFactory(
      [
        'deploy',
        'aws',
        '-c',
        'readme.yaml',
        '--out',
        'readme-aws',
        '--secrets-from',
        'secretsmanager:factory/acme',
      ],
      { cwd: project },
    );
    expect(aws.stderr).toBe('');
    expect(aws.code).toBe(0);
    const cloudflare = await runFactory(['deploy', 'cloudflare', '-c', 'readme.yaml', '--out', 'readme-cf'], {
      cwd: project,
      env,
    });
    expect(cloudflare.stderr).toBe('');
    expect(cloudflare.code).toBe(0);
    expect(cloudflare.stdout).toContain(
      'linear  https://<worker>.<subdomain>.workers.dev/t/acme/webhooks/linear',
    );
  }, 120_000);
});
