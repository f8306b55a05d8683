// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${ENV_VAR} references literally.
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from '../../../auth/test/support/loopback-oauth-server.ts';
import { GithubServer } from '../../../providers/test/support/github-server.ts';
import { LinearServer } from '../../../providers/test/support/linear-server.ts';
import { SlackServer } from '../../../providers/test/support/slack-server.ts';

/** The vendors on loopback: their OAuth servers (@software-factory/auth's) and their APIs (@software-factory/providers'). */
export interface Vendors {
  oauth: LoopbackOAuthServer;
  linear: LinearServer;
  slack: SlackServer;
  github: GithubServer;
  close(): Promise<void>;
}

export async function startVendors(): Promise<Vendors> {
  const oauth = await startLoopbackOAuthServer();
  const linear = await new LinearServer().start();
  const slack = await new SlackServer().start();
  const github = await new GithubServer().start();
  // Each API accepts the access tokens its own OAuth server issued, as the real vendors do.
  const issued = (token: string) => oauth.secrets().includes(token);
  const linearHas = linear.tokens.has.bind(linear.tokens);
  linear.tokens.has = (token) => linearHas(token) || (token.startsWith('lin_oauth_') && issued(token));
  const slackHas = slack.tokens.has.bind(slack.tokens);
  slack.tokens.has = (token) => slackHas(token) || (token.startsWith('xoxb-') && issued(token));
  const githubGet = github.tokens.get.bind(github.tokens);
  github.tokens.get = (token) => githubGet(token) ?? (issued(token) ? 'classic' : undefined);
  return {
    oauth,
    linear,
    slack,
    github,
    close: async () => {
      await Promise.all([oauth.close(), linear.stop(), slack.stop(), github.stop()]);
    },
  };
}

/** A single-tenant config whose three providers talk to the loopback APIs; tokens come from the store. */
export function vendorConfig(vendors: Vendors, extra = ''): string {
  return `tenant: acme
stateStore: { type: memory }
intentProvider:
  type: linear
  transport: direct
  apiUrl: ${vendors.linear.url}
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}
clarificationChannel:
  type: slack
  transport: direct
  apiUrl: ${vendors.slack.url}
  channel: C0123456789
  signingSecret: \${SLACK_SIGNING_SECRET}
outputTarget:
  type: github
  transport: direct
  baseUrl: ${vendors.github.url}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
fleet: { type: local, command: "true" }
${extra}`;
}

export const CREDENTIALS_PASSPHRASE = 'correct horse battery staple';

/** What `factory connect` and `factory check` need in the environment, pointed at the loopback vendors. */
export function vendorEnv(vendors: Vendors, browser: string): Record<string, string> {
  return {
    LINEAR_WEBHOOK_SECRET: 'lin_wh_secret_0123456789',
    SLACK_SIGNING_SECRET: 'slack_signing_secret_0123456789',
    GITHUB_WEBHOOK_SECRET: 'gh_wh_secret_0123456789',
    FACTORY_CREDENTIALS_KEY: CREDENTIALS_PASSPHRASE,
    LINEAR_CLIENT_ID: CLIENT_ID,
    LINEAR_CLIENT_SECRET: CLIENT_SECRET,
    LINEAR_OAUTH_AUTHORIZATION_URL: vendors.oauth.linear.authorizationEndpoint ?? '',
    LINEAR_OAUTH_TOKEN_URL: vendors.oauth.linear.tokenEndpoint ?? '',
    SLACK_CLIENT_ID: CLIENT_ID,
    SLACK_CLIENT_SECRET: CLIENT_SECRET,
    SLACK_OAUTH_AUTHORIZATION_URL: vendors.oauth.slack.authorizationEndpoint ?? '',
    SLACK_OAUTH_TOKEN_URL: vendors.oauth.slack.tokenEndpoint ?? '',
    GITHUB_CLIENT_ID: CLIENT_ID,
    GITHUB_OAUTH_DEVICE_URL: vendors.oauth.github.deviceAuthorizationEndpoint ?? '',
    GITHUB_OAUTH_TOKEN_URL: vendors.oauth.github.tokenEndpoint ?? '',
    BROWSER: browser,
  };
}

/**
 * A `$BROWSER` that plays the person: it opens the consent page and follows its redirect back to the
 * CLI's loopback listener, with real HTTP requests. It records each URL it was given in `opened.log`.
 */
export async function personAsBrowser(dir: string): Promise<{ command: string; log: string }> {
  const command = path.join(dir, 'browser.mjs');
  const log = path.join(dir, 'opened.log');
  await writeFile(
    command,
    `#!/usr/bin/env node
import { appendFileSync } from 'node:fs';
const url = process.argv[2];
appendFileSync(${JSON.stringify(log)}, url + '\\n');
const consent = await fetch(url, { redirect: 'manual' });
const back = consent.headers.get('location');
if (back) await (await fetch(back)).text();
`,
  );
  await chmod(command, 0o755);
  return { command, log };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** No secret the vendors issued or received appears in any of the texts. */
export function expectNoSecrets(texts: readonly string[], secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const text of texts) expect(text, 'a secret leaked into the output').not.toContain(secret);
  }
}

/** One line on stderr, `factory: …`. */
export function expectOneLineError(stderr: string, fragment: string): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^factory: /);
  expect(stderr).toContain(fragment);
}
