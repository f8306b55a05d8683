import { createHash, randomBytes } from 'node:crypto';

/** The OAuth app registered with a loopback vendor; without a secret it is a public (PKCE-only) client. */
export interface GrantClient {
  id: string;
  secret?: string;
}

export interface OAuthGrantsOptions {
  client: GrantClient;
  /** Prefix of the access tokens issued, e.g. `gloas-` as GitLab's OAuth tokens start. */
  tokenPrefix: string;
  /** Authorization parameters the vendor insists on, e.g. Atlassian's `audience` and `prompt`. */
  requiredParameters?: Record<string, string>;
  /** Whether a grant of these scopes comes with a refresh token (Atlassian: only with `offline_access`). */
  refreshable?: (scopes: string[]) => boolean;
}

export interface RecordedOAuthRequest {
  method: string;
  path: string;
  /** The query of an authorize visit, or the token request's form (or JSON) body. */
  params: Record<string, string>;
}

interface PendingCode {
  redirectUri: string;
  challenge: string;
  scopes: string[];
}

/**
 * The authorization server half of a loopback vendor: the consent page's redirect (authorization code,
 * PKCE S256, scopes space-separated) and the token endpoint (single-use codes, the verifier checked,
 * the client secret required when the app has one, rotating refresh tokens). Token requests are read as
 * the RFC 6749 form or as JSON, as Atlassian documents. Every secret issued or received is recorded.
 */
export class OAuthGrants {
  readonly requests: RecordedOAuthRequest[] = [];
  readonly #issued = new Set<string>();
  readonly #codes = new Map<string, PendingCode>();
  readonly #tokens = new Map<string, string[]>();
  readonly #refreshTokens = new Map<string, string[]>();
  readonly #options: OAuthGrantsOptions;
  /** What the next visit to the consent page does. */
  behaviour: 'approve' | 'deny' = 'approve';
  /** Lifetime of the access tokens issued, in seconds. */
  expiresIn = 3600;
  refreshes = 0;

  constructor(options: OAuthGrantsOptions) {
    this.#options = options;
    if (options.client.secret) this.#issued.add(options.client.secret);
  }

  /** Every secret issued or received: codes, tokens, verifiers, the client secret. */
  secrets(): string[] {
    return [...this.#issued];
  }

  /** The scopes of an access token this server issued; undefined for any other string. */
  scopesOf(accessToken: string): string[] | undefined {
    return this.#tokens.get(accessToken);
  }

  /** The person's visit to the consent page: a redirect back to the app, or a 400 naming what is wrong. */
  authorize(url: URL): Response {
    const q = url.searchParams;
    this.requests.push({ method: 'GET', path: url.pathname, params: Object.fromEntries(q) });
    const redirectUri = q.get('redirect_uri') ?? '';
    const problems: string[] = [];
    if (q.get('client_id') !== this.#options.client.id) problems.push('unknown client_id');
    if (q.get('response_type') !== 'code') problems.push('response_type must be code');
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(redirectUri))
      problems.push('redirect_uri must be a loopback URL');
    if (!q.get('state')) problems.push('state is required');
    if (!q.get('scope')) problems.push('scope is required');
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
      problems.push('PKCE S256 is required');
    for (const [name, value] of Object.entries(this.#options.requiredParameters ?? {}))
      if (q.get(name) !== value) problems.push(`${name} must be ${value}`);
    if (problems.length > 0) return new Response(problems.join('; '), { status: 400 });

    const back = new URL(redirectUri);
    back.searchParams.set('state', q.get('state') ?? '');
    if (this.behaviour === 'deny') {
      back.searchParams.set('error', 'access_denied');
      return Response.redirect(back.href, 302);
    }
    const code = this.#secret('');
    this.#codes.set(code, {
      redirectUri,
      challenge: q.get('code_challenge') ?? '',
      scopes: (q.get('scope') ?? '').split(' ').filter(Boolean),
    });
    back.searchParams.set('code', code);
    return Response.redirect(back.href, 302);
  }

  /** The token endpoint: a code or a refresh token redeemed, answered as RFC 6749 says. */
  async token(request: Request): Promise<Response> {
    const text = await request.text();
    const json = (request.headers.get('content-type') ?? '').includes('application/json');
    const params: Record<string, string> = json
      ? (JSON.parse(text) as Record<string, string>)
      : Object.fromEntries(new URLSearchParams(text));
    this.requests.push({ method: 'POST', path: new URL(request.url).pathname, params });
    if (params.client_secret) this.#issued.add(params.client_secret);
    const { client } = this.#options;
    if (
      params.client_id !== client.id ||
      (client.secret !== undefined && params.client_secret !== client.secret)
    )
      return Response.json(
        { error: 'invalid_client', error_description: 'client authentication failed' },
        { status: 401 },
      );
    if (params.grant_type === 'authorization_code') {
      const pending = this.#codes.get(params.code ?? '');
      if (!pending) return invalidGrant('unknown or already used code');
      this.#codes.delete(params.code ?? '');
      if (params.redirect_uri !== pending.redirectUri) return invalidGrant('redirect_uri mismatch');
      const verifier = params.code_verifier ?? '';
      this.#issued.add(verifier);
      if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge)
        return invalidGrant('code_verifier does not match the code_challenge');
      return Response.json(this.#grant(pending.scopes));
    }
    if (params.grant_type === 'refresh_token') {
      const scopes = this.#refreshTokens.get(params.refresh_token ?? '');
      if (!scopes) return invalidGrant('unknown or invalid refresh token');
      this.#refreshTokens.delete(params.refresh_token ?? ''); // rotation: a refresh token works once
      this.refreshes += 1;
      return Response.json(this.#grant(scopes));
    }
    return Response.json({ error: 'unsupported_grant_type' }, { status: 400 });
  }

  #grant(scopes: string[]): Record<string, unknown> {
    const access = this.#secret(this.#options.tokenPrefix);
    this.#tokens.set(access, scopes);
    const refreshable = this.#options.refreshable?.(scopes) ?? true;
    const refresh = refreshable ? this.#secret('refresh-') : undefined;
    if (refresh) this.#refreshTokens.set(refresh, scopes);
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.expiresIn,
      scope: scopes.join(' '),
      ...(refresh ? { refresh_token: refresh } : {}),
    };
  }

  #secret(prefix: string): string {
    const value = `${prefix}${randomBytes(20).toString('hex')}`;
    this.#issued.add(value);
    return value;
  }
}

function invalidGrant(description: string): Response {
  return Response.json({ error: 'invalid_grant', error_description: description }, { status: 400 });
}
