import { chmod, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { GithubAppIssuer, generateAppKey } from '../../../providers/test/support/github-app.ts';

/** An App GitHub created from a manifest, with what it handed back once. */
export interface CreatedApp {
  id: number;
  org: string | undefined;
  manifest: Record<string, unknown>;
  pem: string;
  webhookSecret: string;
  clientSecret: string;
}

/**
 * GitHub on loopback for the App manifest flow: the "new App" page takes the manifest as a form POST
 * (personal or organisation), "creates" the App and redirects to the manifest's `redirect_url` with a
 * one-time code and the state; `POST /app-manifests/{code}/conversions` hands over the App's id, private
 * key (a fresh RSA key), webhook secret and OAuth client, once. The created App then authenticates
 * against the same server (`GithubAppIssuer`): its JWT endpoints, and `/installation/repositories`.
 */
export class GithubAppVendor {
  readonly created: CreatedApp[] = [];
  readonly requests: string[] = [];
  issuer: GithubAppIssuer | undefined;
  readonly #codes = new Map<string, CreatedApp>();
  #server: Server | undefined;
  #nextId = 900_001;

  get url(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('GithubAppVendor is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      this.#answer(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    this.requests.push(`${request.method} ${url.pathname}`);
    const body = await readBody(request);
    const newApp = /^(?:\/organizations\/([^/]+))?\/settings\/apps\/new$/.exec(url.pathname);
    if (newApp && request.method === 'POST') return this.#create(newApp[1], url, body, response);
    const conversion = /^\/app-manifests\/([^/]+)\/conversions$/.exec(url.pathname);
    if (conversion && request.method === 'POST') return this.#convert(conversion[1] ?? '', response);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers.set(name, value);
    const asFetch = new Request(url, { method: request.method ?? 'GET', headers });
    const answered = await this.issuer?.answer(asFetch);
    if (answered) return send(response, answered.status, await answered.text());
    const token = (headers.get('authorization') ?? '').replace(/^(Bearer|token) /i, '');
    if (url.pathname === '/installation/repositories' && this.issuer?.accepts(token))
      return send(response, 200, JSON.stringify({ total_count: 1, repositories: [] }));
    return send(response, 401, JSON.stringify({ message: 'Bad credentials' }));
  }

  #create(org: string | undefined, url: URL, body: string, response: ServerResponse): void {
    const text = new URLSearchParams(body).get('manifest');
    let manifest: Record<string, unknown>;
    try {
      manifest = JSON.parse(text ?? '');
    } catch {
      send(response, 422, 'The manifest is not valid JSON');
      return;
    }
    const redirect = typeof manifest.redirect_url === 'string' ? manifest.redirect_url : '';
    const hook = manifest.hook_attributes as { url?: unknown } | undefined;
    if (!redirect || typeof manifest.url !== 'string' || typeof hook?.url !== 'string') {
      send(response, 422, 'url, hook_attributes.url and redirect_url are required');
      return;
    }
    const key = generateAppKey();
    const app: CreatedApp = {
      id: this.#nextId++,
      org,
      manifest,
      pem: key.privateKey,
      webhookSecret: `whsec_${Math.random().toString(36).slice(2)}_${Date.now()}`,
      clientSecret: `client_secret_${Math.random().toString(36).slice(2)}`,
    };
    this.created.push(app);
    this.issuer = new GithubAppIssuer({ appId: app.id, publicKey: key.publicKey });
    const code = `manifest_code_${Math.random().toString(36).slice(2)}`;
    this.#codes.set(code, app);
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    const state = url.searchParams.get('state');
    if (state) back.searchParams.set('state', state);
    response.writeHead(302, { location: back.href });
    response.end();
  }

  #convert(code: string, response: ServerResponse): void {
    const app = this.#codes.get(code);
    this.#codes.delete(code);
    if (!app) {
      send(response, 404, JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const slug = String(app.manifest.name)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-');
    send(
      response,
      201,
      JSON.stringify({
        id: app.id,
        slug,
        node_id: 'MDM6QXBwNTk=',
        owner: { login: app.org ?? 'octocat', type: app.org ? 'Organization' : 'User' },
        name: app.manifest.name,
        html_url: `https://github.com/apps/${slug}`,
        client_id: `Iv1.${app.id}`,
        client_secret: app.clientSecret,
        webhook_secret: app.webhookSecret,
        pem: app.pem,
        permissions: app.manifest.default_permissions,
        events: app.manifest.default_events,
      }),
    );
  }
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A `$BROWSER` that plays the person creating the App: it opens the CLI's loopback page, submits its
 * form (the manifest) to GitHub as the browser would, and follows GitHub's redirect back to the CLI's
 * callback. What it saw goes to `browser.log`, one JSON line, without the code.
 */
export async function personCreatingApp(dir: string): Promise<{ command: string; log: string }> {
  const command = path.join(dir, 'app-browser.mjs');
  const log = path.join(dir, 'browser.log');
  await writeFile(
    command,
    `#!/usr/bin/env node
import { appendFileSync } from 'node:fs';
const record = (entry) => appendFileSync(${JSON.stringify(log)}, JSON.stringify(entry) + '\\n');
const unescape = (text) => text.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
try {
  const page = await (await fetch(process.argv[2])).text();
  const action = unescape(/<form[^>]*action="([^"]*)"/.exec(page)?.[1] ?? '');
  const manifest = unescape(/name="manifest" value="([^"]*)"/.exec(page)?.[1] ?? '');
  const created = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ manifest }).toString(),
  });
  const back = created.headers.get('location');
  const callback = back ? await fetch(back) : undefined;
  const heading = callback ? /<h1>([^<]*)<\\/h1>/.exec(await callback.text())?.[1] : undefined;
  record({ action: new URL(action).pathname, manifest: JSON.parse(manifest), created: created.status, callback: callback?.status, heading });
} catch (error) {
  record({ error: String(error) });
}
`,
  );
  await chmod(command, 0o755);
  return { command, log };
}
