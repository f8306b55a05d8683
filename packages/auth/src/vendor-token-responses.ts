/**
 * Vendors bend RFC 6749's token response; oauth4webapi, rightly, does not. This fetch wrapper turns
 * the bends back into the standard before the library sees them:
 * - GitHub reports `authorization_pending`, `slow_down`, `bad_verification_code`… with HTTP 200;
 * - Slack reports every failure as HTTP 200 `{ ok: false, error }`;
 * - a `scope` that arrives as a JSON array becomes the space-separated string the RFC defines.
 * Errors become HTTP 400 with the same JSON body (plus `error` for Slack), which is what RFC 6749 §5.2 says.
 */
export type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

export function standardTokenResponses(fetchImpl: Fetch): Fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.status !== 200 || !isJson(response)) return response;
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    if (!isObject(body)) return response;

    const slackFailure = body.ok === false;
    const error = typeof body.error === 'string' && body.error.length > 0 ? body.error : undefined;
    if (slackFailure || error) {
      const standard = { ...body, error: error ?? 'invalid_request' };
      return json(standard, 400, response.headers);
    }
    if (Array.isArray(body.scope)) {
      return json({ ...body, scope: body.scope.map(String).join(' ') }, 200, response.headers);
    }
    return response;
  };
}

function isJson(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().includes('application/json');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function json(body: unknown, status: number, original: Headers): Response {
  const headers = new Headers(original);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify(body), { status, headers });
}
