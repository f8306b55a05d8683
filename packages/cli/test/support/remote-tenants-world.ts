import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from '../../../auth/test/support/loopback-oauth-server.ts';
import type { LinearServer } from '../../../providers/test/support/linear-server.ts';
import { DeployScenario, SECRETS } from './deploy-scenario.ts';
import { runFactory } from './factory-process.ts';

const BROWSER_SCRIPT = fileURLToPath(new URL('./test-browser.ts', import.meta.url));

/** What the test browser saw on one visit (see test-browser.ts). */
export interface BrowserVisit {
  consent?: number;
  /** The URL the vendor sent the browser back to, without its query. */
  callback?: string;
  /** The names of the callback's query parameters. */
  query?: string[];
  status?: number;
  heading?: string;
  error?: string;
}

/** Who a CLI command runs as: the deployment's operator, or one tenant's admin (its token). */
export type Caller = { operator: true } | { adminToken: string };

/**
 * Everything around a deployed factory that onboards tenants remotely: a loopback OAuth vendor (Linear's
 * dialect) whose tokens the loopback Linear accepts, two teams (each its own Linear, Slack, GitHub and HTTP
 * fleet, as the deploy tests run them), a folder for tenant files and the test browser, and the
 * deployment's environment: the secrets the tenants reference, the operator token, the credentials key and
 * Linear's OAuth app pointed at the loopback vendor. No team's Linear token is in it: each tenant signs in.
 */
export class RemoteTenantsWorld {
  readonly teams = { alpha: new DeployScenario(), beta: new DeployScenario() };
  /** 32 random bytes: a credentials key as `openssl rand -base64 32` writes one. */
  readonly credentialsKey = randomBytes(32).toString('base64');
  #oauth: LoopbackOAuthServer | undefined;
  #dir: string | undefined;

  get oauth(): LoopbackOAuthServer {
    if (!this.#oauth) throw new Error('the world is not started');
    return this.#oauth;
  }

  /** A temporary folder: the tenant files, the browser's log, and whatever the runtime puts there. */
  get dir(): string {
    if (!this.#dir) throw new Error('the world is not started');
    return this.#dir;
  }

  async start(): Promise<this> {
    this.#dir = mkdtempSync(path.join(tmpdir(), 'factory-tenants-as-data-'));
    const [oauth] = await Promise.all([
      startLoopbackOAuthServer(),
      this.teams.alpha.start(),
      this.teams.beta.start(),
    ]);
    this.#oauth = oauth;
    for (const team of Object.values(this.teams)) acceptTokensIssuedBy(team.linear, oauth);
    writeFileSync(
      path.join(this.dir, 'browser'),
      `#!/bin/sh\nexec "${process.execPath}" "${BROWSER_SCRIPT}" "$@"\n`,
      { mode: 0o755 },
    );
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([this.#oauth?.close(), ...Object.values(this.teams).map((team) => team.stop())]);
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /**
   * The deployed app's environment (Node's process, the Lambda's variables, the Worker's bindings): every
   * secret a tenant file references but Linear's token, and Linear's OAuth app at the loopback vendor.
   */
  deploymentEnv(): Record<string, string> {
    const { LINEAR_API_KEY: _signedIn, ...secrets } = SECRETS;
    return {
      ...secrets,
      FACTORY_CREDENTIALS_KEY: this.credentialsKey,
      LINEAR_CLIENT_ID: CLIENT_ID,
      LINEAR_CLIENT_SECRET: CLIENT_SECRET,
      LINEAR_OAUTH_AUTHORIZATION_URL: this.oauth.linear.authorizationEndpoint ?? '',
      LINEAR_OAUTH_TOKEN_URL: this.oauth.linear.tokenEndpoint ?? '',
    };
  }

  /** Writes the team's tenant file (one entry of a config's `tenants:` list) and returns its path. */
  tenantFile(id: string, team: DeployScenario): string {
    const file = path.join(this.dir, `${id}.yaml`);
    writeFileSync(file, team.remoteTenant(id));
    return file;
  }

  /**
   * `factory …` on the person's machine: the token in FACTORY_OPERATOR_TOKEN or FACTORY_ADMIN_TOKEN (never
   * an argument), and the test browser as $BROWSER.
   */
  cli(args: readonly string[], caller: Caller) {
    return runFactory(args, {
      cwd: this.dir,
      env: {
        ...('operator' in caller
          ? { FACTORY_OPERATOR_TOKEN: SECRETS.FACTORY_OPERATOR_TOKEN }
          : { FACTORY_ADMIN_TOKEN: caller.adminToken }),
        BROWSER: path.join(this.dir, 'browser'),
        TEST_BROWSER_LOG: path.join(this.dir, 'browser.log'),
      },
    });
  }

  /** Every visit of the test browser so far. */
  browserVisits(): BrowserVisit[] {
    let text: string;
    try {
      text = readFileSync(path.join(this.dir, 'browser.log'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as BrowserVisit);
  }

  /** The tokens, codes and verifiers the vendor issued or was sent: none may show on the person's machine. */
  vendorSecrets(): string[] {
    return this.oauth.secrets();
  }
}

/**
 * Linear accepts the access tokens the loopback vendor issued, as the real Linear accepts those its OAuth
 * server issued; nothing else changes about which tokens it takes.
 */
function acceptTokensIssuedBy(linear: LinearServer, vendor: LoopbackOAuthServer): void {
  const tokens = linear.tokens;
  const known = tokens.has.bind(tokens);
  tokens.has = (token: string) =>
    known(token) || (token.startsWith('lin_oauth_') && vendor.secrets().includes(token));
}
