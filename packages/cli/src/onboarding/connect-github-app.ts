import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthFlowError } from '@software-factory/auth';
import {
  GITHUB_APP_CLIENT_CONNECTION,
  GITHUB_APP_CONNECTION,
  GITHUB_APP_WEBHOOK_CONNECTION,
} from '@software-factory/providers/registry';
import { type CredentialStore, readBodyCapped } from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { TenantConfig } from '../config/config-schema.ts';
import { type GithubAppManifest, githubAppAccess, manifestPage } from './github-app-manifest.ts';

export interface GithubAppConnectRequest {
  tenant: string;
  tenantConfig: TenantConfig;
  store: CredentialStore;
  /** Where the store is, for the last line. */
  storePath: string;
  /** Create the App in this organisation (else in the account of whoever is signed in to GitHub). */
  org?: string | undefined;
  /** The App's name on GitHub; GitHub asks the person to confirm or change it. */
  name: string;
  /** Where GitHub sends the App's webhooks. */
  webhookUrl: string;
  /** Where GitHub's pages are (`https://github.com`, or a loopback GitHub in tests). */
  webBaseUrl: string;
  /** GitHub's REST API, where the manifest code is converted. */
  apiBaseUrl: string;
  redirectPort?: number | undefined;
  timeoutMs?: number | undefined;
  openUrl(url: string): Promise<void>;
  print(message: string): void;
  signal?: AbortSignal | undefined;
  fetch?: typeof fetch;
}

/** The fields of GitHub's manifest conversion the factory keeps; the rest is never read. */
const conversionSchema = z.object({
  id: z.int().check(z.positive()),
  slug: z.string().check(z.minLength(1)),
  html_url: z.string().check(z.minLength(1)),
  pem: z.string().check(z.minLength(1)),
  webhook_secret: z.nullish(z.string()),
  client_id: z.string().check(z.minLength(1)),
  client_secret: z.string().check(z.minLength(1)),
});

const MAX_CONVERSION_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * `factory connect github --app`: GitHub's App manifest flow. A loopback page posts the manifest (the
 * permissions and events the tenant's GitHub roles need) to GitHub, where the person names and creates
 * the App; GitHub comes back to the loopback callback with a one-hour code, which is converted into the
 * App's id, private key, webhook secret and OAuth client, stored encrypted like any other credential.
 * Nothing secret is printed; the code never leaves 127.0.0.1 and the vendor.
 */
export async function connectGithubApp(
  request: GithubAppConnectRequest,
): Promise<{ slug: string; id: number }> {
  const state = randomBytes(16).toString('hex');
  const web = request.webBaseUrl.replace(/\/+$/, '');
  const newAppUrl = request.org
    ? `${web}/organizations/${encodeURIComponent(request.org)}/settings/apps/new`
    : `${web}/settings/apps/new`;
  const loopback = await listenForCallback(state, request);
  try {
    const manifest: GithubAppManifest = {
      name: request.name,
      url: 'https://github.com/software-factory/factory',
      hook_attributes: { url: request.webhookUrl, active: true },
      redirect_url: `${loopback.origin}/callback`,
      public: false,
      ...githubAppAccess(request.tenantConfig),
    };
    loopback.page = manifestPage(`${newAppUrl}?state=${state}`, manifest);
    request.print(`Opening ${loopback.origin}/ in the browser to create the GitHub App on GitHub…`);
    request.print(`If no browser opens, visit ${loopback.origin}/`);
    await request.openUrl(`${loopback.origin}/`);
    const code = await loopback.code;
    const app = await convert(code, request);
    await storeApp(app, request);
    request.print(`Created the GitHub App ${app.slug} (App id ${app.id}).`);
    request.print(`Install it on the repositories the factory works in: ${app.html_url}/installations/new`);
    request.print(
      `Stored in ${request.storePath} (tenant ${request.tenant}: ${GITHUB_APP_CONNECTION}, ${GITHUB_APP_WEBHOOK_CONNECTION}, ${GITHUB_APP_CLIENT_CONNECTION}); give the GitHub roles \`app: {}\` to act as it, then run \`factory check\`.`,
    );
    return { slug: app.slug, id: app.id };
  } finally {
    await loopback.close();
  }
}

async function convert(
  code: string,
  request: GithubAppConnectRequest,
): Promise<z.infer<typeof conversionSchema>> {
  const api = request.apiBaseUrl.replace(/\/+$/, '');
  const response = await (request.fetch ?? fetch)(
    `${api}/app-manifests/${encodeURIComponent(code)}/conversions`,
    {
      method: 'POST',
      headers: { accept: 'application/vnd.github+json', 'user-agent': '@software-factory/cli' },
      signal: AbortSignal.timeout(30_000),
    },
  );
  const text = await boundedText(response, MAX_CONVERSION_BYTES);
  if (response.status !== 201)
    throw new AuthFlowError(
      'GitHub',
      'token-request-failed',
      `GitHub refused to convert the App manifest code (${response.status}); run \`factory connect github --app\` again`,
    );
  let parsed: ReturnType<typeof conversionSchema.safeParse>;
  try {
    parsed = conversionSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = conversionSchema.safeParse(undefined);
  }
  if (!parsed.success)
    throw new AuthFlowError(
      'GitHub',
      'token-request-failed',
      'GitHub’s App manifest conversion was incomplete',
    );
  return parsed.data;
}

async function storeApp(
  app: z.infer<typeof conversionSchema>,
  request: GithubAppConnectRequest,
): Promise<void> {
  const { store, tenant } = request;
  await store.put(tenant, GITHUB_APP_CONNECTION, {
    accessToken: app.pem,
    scopes: [],
    tokenType: 'github-app',
    resource: { id: String(app.id), url: app.html_url },
  });
  if (app.webhook_secret)
    await store.put(tenant, GITHUB_APP_WEBHOOK_CONNECTION, { accessToken: app.webhook_secret, scopes: [] });
  await store.put(tenant, GITHUB_APP_CLIENT_CONNECTION, {
    accessToken: app.client_secret,
    scopes: [],
    resource: { id: app.client_id },
  });
}

interface CallbackListener {
  origin: string;
  page: string;
  code: Promise<string>;
  close(): Promise<void>;
}

const BACK_PAGE =
  '<!doctype html><meta charset="utf-8"><title>factory</title><h1>GitHub App created</h1><p>You can close this tab and return to the terminal.</p>';

/** 127.0.0.1 only: the page with the manifest at `/`, and `/callback`, which GitHub sends the code to. */
async function listenForCallback(state: string, request: GithubAppConnectRequest): Promise<CallbackListener> {
  let settle: { resolve(code: string): void; reject(error: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  code.catch(() => {});
  const listener: CallbackListener = { origin: '', page: '', code, close: async () => {} };
  const answer = (response: ServerResponse, status: number, html: string) => {
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
    response.end(html);
  };
  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    if (incoming.method === 'GET' && url.pathname === '/') return answer(response, 200, listener.page);
    if (incoming.method !== 'GET' || url.pathname !== '/callback') return answer(response, 404, 'not found');
    const given = url.searchParams.get('code');
    if (url.searchParams.get('state') !== state || !given) {
      settle?.reject(
        new AuthFlowError(
          'GitHub',
          'state-mismatch',
          'GitHub came back without this sign-in’s state; nothing was stored',
        ),
      );
      return answer(response, 400, '<!doctype html><p>This link is not from this sign-in.</p>');
    }
    settle?.resolve(given);
    return answer(response, 200, BACK_PAGE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(request.redirectPort ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  listener.origin = `http://127.0.0.1:${port}`;
  const timer = setTimeout(
    () =>
      settle?.reject(
        new AuthFlowError('GitHub', 'timeout', 'the GitHub App was not created in time; nothing was stored'),
      ),
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  const onAbort = () => settle?.reject(new AuthFlowError('GitHub', 'aborted', 'stopped; nothing was stored'));
  request.signal?.addEventListener('abort', onAbort, { once: true });
  listener.close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return listener;
}

/** The body as text, refusing more than `limit` bytes. */
async function boundedText(response: Response, limit: number): Promise<string> {
  const body = await readBodyCapped(response, limit);
  if (body === 'too-large')
    throw new AuthFlowError(
      'GitHub',
      'token-request-failed',
      'GitHub’s App manifest conversion was too large',
    );
  return new TextDecoder().decode(body);
}
