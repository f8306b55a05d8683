// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { tmpdir } from 'node:os';
import { JsonLineLogger } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.ts';
import { parseConfig } from '../src/config/load-config.ts';

const LITERAL_TOKEN = 'xoxb-1234567890-abcdefghijkl';

function configWithBotToken(botToken: string): string {
  return `intentProvider:
  type: linear
  transport: direct
  apiKey: \${LINEAR_API_KEY}
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}
clarificationChannel:
  type: slack
  transport: direct
  botToken: ${botToken}
  signingSecret: \${SLACK_SIGNING_SECRET}
  channel: C0123456789
outputTarget:
  type: github
  transport: relayfile
mount:
  type: directory
  path: ./workspace
fleet:
  type: local
  command: [run-agent]
`;
}

const ENV = {
  LINEAR_API_KEY: 'lin_api_secret_value_1',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret-value',
  SLACK_BOT_TOKEN: 'xoxb-from-the-environment',
  SLACK_SIGNING_SECRET: 'slack-signing-secret-value',
};

async function parse(text: string, env: Record<string, string> = ENV) {
  return parseConfig(text, { fileName: 'factory.config.yaml', baseDir: tmpdir(), env });
}

async function problemsOf(text: string, env: Record<string, string> = ENV): Promise<readonly string[]> {
  const error = await parse(text, env).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ConfigError)) throw new Error('expected a ConfigError');
  return error.problems;
}

describe('secrets are accepted only as ${ENV_VAR} references', () => {
  it('resolves a reference from the environment at load time', async () => {
    const config = await parse(configWithBotToken('${SLACK_BOT_TOKEN}'));
    const channel = config.tenants[0]?.clarificationChannel;
    expect(channel?.type === 'slack' && channel.transport === 'direct' && channel.botToken).toBe(
      'xoxb-from-the-environment',
    );
    expect([...config.secrets].sort()).toEqual(Object.values(ENV).sort());
  });

  it('rejects a literal token and says why, without repeating it', async () => {
    const problems = await problemsOf(configWithBotToken(LITERAL_TOKEN));
    expect(problems).toEqual([
      'factory.config.yaml:9:13 clarificationChannel.botToken: is a secret and takes no literal value: write a reference to an environment variable such as ${SLACK_BOT_TOKEN} and set that variable in the environment',
    ]);
    expect(problems.join('\n')).not.toContain(LITERAL_TOKEN);
    expect(problems.join('\n')).not.toContain('1234567890');
  });

  it.each([
    { name: 'a bare $NAME', value: '$SLACK_BOT_TOKEN' },
    { name: 'a reference with text around it', value: 'Bearer ${SLACK_BOT_TOKEN}' },
    { name: 'a number', value: '12345678' },
    { name: 'a mapping', value: '{ value: abc }' },
  ])('rejects $name without echoing it', async ({ value }) => {
    const problems = await problemsOf(configWithBotToken(value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^factory\.config\.yaml:9:13 clarificationChannel\.botToken: /);
    expect(problems[0]).toContain('${SLACK_BOT_TOKEN}');
    expect(problems[0]).not.toContain(value);
  });

  it('names a variable that is not set', async () => {
    const { SLACK_BOT_TOKEN: _, ...env } = ENV;
    expect(await problemsOf(configWithBotToken('${SLACK_BOT_TOKEN}'), env)).toEqual([
      'factory.config.yaml:9:13 clarificationChannel.botToken: environment variable SLACK_BOT_TOKEN is not set',
    ]);
  });

  it('treats an empty variable as missing', async () => {
    expect(
      await problemsOf(configWithBotToken('${SLACK_BOT_TOKEN}'), { ...ENV, SLACK_BOT_TOKEN: '' }),
    ).toEqual([
      'factory.config.yaml:9:13 clarificationChannel.botToken: environment variable SLACK_BOT_TOKEN is empty',
    ]);
  });

  it('takes any variable name the user chose', async () => {
    const config = await parse(configWithBotToken('${team_a_slack_bot}'), {
      ...ENV,
      team_a_slack_bot: 'xoxb-team-a',
    });
    const channel = config.tenants[0]?.clarificationChannel;
    expect(channel?.type === 'slack' && channel.transport === 'direct' && channel.botToken).toBe(
      'xoxb-team-a',
    );
  });

  it('keeps resolved secrets out of the logs even when an error message carries one', async () => {
    const config = await parse(configWithBotToken('${SLACK_BOT_TOKEN}'));
    const lines: string[] = [];
    const logger = new JsonLineLogger({ write: (line) => lines.push(line), secrets: config.secrets });
    logger.error('effect failed', {
      error: `401 from https://slack.example/api?token=${ENV.SLACK_BOT_TOKEN}`,
      nested: { detail: `Bearer ${ENV.LINEAR_API_KEY}` },
      botToken: 'any value in a field named like a credential',
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    for (const secret of Object.values(ENV)) expect(line).not.toContain(secret);
    expect(line).not.toContain('any value in a field');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      level: 'error',
      msg: 'effect failed',
      error: '401 from https://slack.example/api?token=[redacted]',
      nested: { detail: 'Bearer [redacted]' },
      botToken: '[redacted]',
    });
  });
});
