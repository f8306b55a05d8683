import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';

/** A GitHub App's key pair as GitHub hands it out: the private key in PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`). */
export function generateAppKey(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

interface IssuedToken {
  installationId: number;
  expiresAt: number;
}

/**
 * GitHub's side of App authentication, for a loopback GitHub: it checks the App's JWT (RS256 with the
 * App's public key, `iss` = the App id, `iat`/`exp` within GitHub's ten-minute window), knows which
 * repository each installation covers, exchanges installation tokens with an `expires_at`, and says
 * whether a token is still good. Installations can be revoked and tokens expired, as GitHub would.
 */
export class GithubAppIssuer {
  readonly appId: number;
  readonly publicKey: string;
  /** Installation id by `owner/repo` (lower case). */
  readonly installations = new Map<string, number>();
  readonly revoked = new Set<number>();
  readonly issued = new Map<string, IssuedToken>();
  /** Every token exchange, by installation id, in order. */
  readonly exchanges: number[] = [];
  /** Why each refused JWT was refused. */
  readonly refusedJwts: string[] = [];
  tokenLifetimeMs = 60 * 60_000;
  /** The clock token lifetimes run on (a fake one to show expiry); JWTs are checked against the real one. */
  now: () => number = Date.now;

  constructor(options: { appId: number; publicKey: string }) {
    this.appId = options.appId;
    this.publicKey = options.publicKey;
  }

  install(repository: string, installationId: number): void {
    this.installations.set(repository.toLowerCase(), installationId);
  }

  /** The installation is deleted or suspended: its tokens die and no new one is exchanged. */
  revoke(installationId: number): void {
    this.revoked.add(installationId);
  }

  /** Every token issued so far expires now (GitHub rejects an expired token with 401). */
  expireAll(): void {
    for (const token of this.issued.values()) token.expiresAt = this.now() - 1;
  }

  /** Whether `token` is an installation token that may still be used. */
  accepts(token: string): boolean {
    const issued = this.issued.get(token);
    return issued !== undefined && issued.expiresAt > this.now() && !this.revoked.has(issued.installationId);
  }

  /** The endpoints only the App's JWT opens; undefined for every other request. */
  async answer(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url);
    const exchange = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    const lookup = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(url.pathname);
    const list = url.pathname === '/app/installations';
    if (!exchange && !lookup && !list) return undefined;
    const refused = this.#checkJwt(request.headers.get('authorization') ?? '');
    if (refused) {
      this.refusedJwts.push(refused);
      return Response.json(
        { message: refused, documentation_url: 'https://docs.github.com/rest' },
        { status: 401 },
      );
    }
    const live = [...this.installations.entries()].filter(([, id]) => !this.revoked.has(id));
    if (list && request.method === 'GET')
      return Response.json([...new Set(live.map(([, id]) => id))].map((id) => ({ id, app_id: this.appId })));
    if (lookup && request.method === 'GET') {
      const id = this.installations.get(`${lookup[1]}/${lookup[2]}`.toLowerCase());
      if (id === undefined || this.revoked.has(id)) return notFound();
      return Response.json({ id, app_id: this.appId, account: { login: lookup[1] } });
    }
    if (exchange && request.method === 'POST') {
      const id = Number(exchange[1]);
      if (this.revoked.has(id) || !live.some(([, known]) => known === id)) return notFound();
      this.exchanges.push(id);
      const token = `ghs_${randomBytes(18).toString('base64url')}`;
      const expiresAt = this.now() + this.tokenLifetimeMs;
      this.issued.set(token, { installationId: id, expiresAt });
      return Response.json(
        {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: { pull_requests: 'read', issues: 'write', actions: 'write', metadata: 'read' },
          repository_selection: 'selected',
        },
        { status: 201 },
      );
    }
    return Response.json({ message: 'Not Found' }, { status: 404 });
  }

  /** Why the `Authorization: Bearer <jwt>` is refused, or undefined when GitHub would accept it. */
  #checkJwt(header: string): string | undefined {
    const match = /^bearer (.+)$/i.exec(header);
    if (!match?.[1]) return 'A JSON web token could not be decoded';
    const [head, body, signature] = match[1].split('.');
    if (!head || !body || !signature) return 'A JSON web token could not be decoded';
    let header_: { alg?: unknown };
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      header_ = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return 'A JSON web token could not be decoded';
    }
    if (header_.alg !== 'RS256') return 'the JWT is not signed with RS256';
    const good = verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${body}`),
      this.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!good) return "'Signature' could not be verified with the App's public key";
    if (String(claims.iss) !== String(this.appId)) return "'Issuer' claim ('iss') must match the App id";
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== 'number' || claims.iat > now + 60)
      return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
    if (typeof claims.exp !== 'number' || claims.exp <= now)
      return "'Expiration time' claim ('exp') is in the past";
    if (claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
    return undefined;
  }
}

function notFound(): Response {
  return Response.json(
    { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps' },
    { status: 404 },
  );
}
