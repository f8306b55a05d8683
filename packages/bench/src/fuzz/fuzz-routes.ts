import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORM_MAX_BYTES, isTenantId } from '@software-factory/sdk';
import fc from 'fast-check';
import { VendorServer } from '../loopback/vendor-server.ts';
import {
  adminViewCases,
  type BodyFacts,
  bodyCases,
  crossSite,
  type DashboardView,
  dashboardViewCases,
  decodeSegment,
  type FuzzRequest,
  healthCases,
  hostileTenantCases,
  loginCases,
  logoutCases,
  type SessionSpec,
  type StreamedBody,
  staticCases,
  strayCases,
  webhookCases,
} from './fuzz-cases.ts';
import { growth, type MemoryGrowth, overBounds, settledMemory } from './fuzz-memory.ts';
import {
  ADMIN_TOKENS,
  FUZZ_ADMIN_TOKEN,
  FUZZ_OPERATOR_TOKEN,
  FUZZ_ORIGIN,
  FUZZ_SECRET,
  FUZZ_TENANT,
  type FuzzTenant,
  fuzzTenant,
  OPERATOR_SCOPE,
  OTHER_ADMIN_TOKEN,
  OTHER_TENANT,
  type Sabotage,
  SESSIONS_DOCUMENT,
  type StoreCall,
  THROTTLE_DOCUMENT,
  WRITE_METHODS,
} from './fuzz-tenant.ts';
import { SIGNERS } from './source-signers.ts';

export interface RouteReport {
  route: string;
  runs: number;
  /** How many requests of each kind got each status: shows the cases reached past the first check. */
  statuses: Record<string, number>;
  /** How many answers had each status. */
  byStatus: Record<string, number>;
  /** What the run left in the process (after a full garbage collection before and after). */
  memory: MemoryGrowth;
  /** The shrunk failing request and what was wrong, when the property failed. */
  failure?: { seed: number; path: string; request: string; problem: string };
}

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Only the routes whose name contains one of these (all when absent or empty). */
  routes?: readonly string[];
  /** A fault planted in the app (the fuzzer's own tests show it is seen). */
  sabotage?: Sabotage;
}

class Violation extends Error {}

const SECRETS = [FUZZ_ADMIN_TOKEN, OTHER_ADMIN_TOKEN, FUZZ_OPERATOR_TOKEN, FUZZ_SECRET];
/** What every answer of the app carries (`SECURITY_HEADERS` in the sdk's `http-security.ts`). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
const encoder = new TextEncoder();

/** What a check sees of one exchange. */
interface Exchange<T extends FuzzRequest> {
  request: T;
  /** The Request as the app got it (headers as the platform normalised them). */
  sent: Request;
  /** The path after the platform normalised it (dot segments, backslashes). */
  pathname: string;
  answer: { status: number; body: string; headers: Headers };
  /** Store calls (reads too) the request made, provider writes, and whether records/queue/slots changed. */
  calls: StoreCall[];
  outgoing: number;
  changed: boolean;
  /** Whether a throttle wait was running, per scope, just before the request. */
  throttled: Record<string, boolean>;
  /** The session cookie value the request carried, when the case asked for one. */
  session?: string;
  /** Bytes of a streamed body the app pulled. */
  pulled?: number;
}

type Check<T extends FuzzRequest> = (exchange: Exchange<T>, tenant: FuzzTenant) => Promise<void> | void;

/**
 * Every ingress route against random and nearly valid requests: never a 5xx, a crash or a line printed;
 * a 4xx for anything not authentic; the security headers on every answer; no secret in any answer; no
 * store write from a refused request except the admin-throttle document of the tenant it named (a
 * refused webhook writes nothing at all, and nothing refused writes a record, an index, an event, the
 * queue or a slot); streamed bodies read no further than the cap and one chunk; and each route's run
 * leaves no more than a fixed amount of memory behind.
 */
export async function fuzzRoutes(options: FuzzOptions): Promise<RouteReport[]> {
  const dir = await mkdtemp(join(tmpdir(), 'factory-fuzz-'));
  const vendor = await new VendorServer().start();
  const crashes: string[] = [];
  const onCrash = (error: unknown) =>
    crashes.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  try {
    const tenant = fuzzTenant(join(dir, 'mount'), vendor.url, options.sabotage);
    const now = () => tenant.clock.now();
    const reports: RouteReport[] = [];
    const wanted = (route: string) =>
      !options.routes || options.routes.length === 0 || options.routes.some((part) => route.includes(part));

    const run = async <T extends FuzzRequest>(
      route: string,
      cases: () => fc.Arbitrary<T>,
      check: Check<T>,
    ) => {
      if (!wanted(route)) return;
      const statuses: Record<string, number> = {};
      const byStatus: Record<string, number> = {};
      let accepted = 0;
      const before = await settledMemory();
      const details = await fc.check(
        fc.asyncProperty(cases(), async (request) => {
          const exchange = await send(tenant, request, crashes);
          if (!exchange) return fc.pre(false);
          const { status } = exchange.answer;
          const tally = `${request.kind} ${status}`;
          statuses[tally] = (statuses[tally] ?? 0) + 1;
          byStatus[status] = (byStatus[status] ?? 0) + 1;
          if (status < 300 && exchange.sent.method === 'POST' && exchange.pathname.includes('/webhooks/'))
            accepted++;
          everyAnswer(exchange);
          await check(exchange, tenant);
        }),
        { numRuns: options.runs, seed: options.seed, endOnFailure: false },
      );
      const after = await settledMemory();
      const memory = growth(before, after, accepted);
      const counterexample = details.counterexample?.[0] as FuzzRequest | undefined;
      const leaked = overBounds(memory);
      reports.push({
        route,
        runs: details.numRuns,
        statuses: sorted(statuses),
        byStatus: sorted(byStatus),
        memory,
        ...(details.failed
          ? {
              failure: {
                seed: details.seed,
                path: details.counterexample ? String(details.counterexamplePath) : '',
                request: counterexample ? describe(counterexample) : '',
                problem:
                  details.errorInstance instanceof Error
                    ? details.errorInstance.message
                    : String(details.errorInstance),
              },
            }
          : leaked
            ? {
                failure: {
                  seed: details.seed,
                  path: '',
                  request: '',
                  problem: leaked,
                },
              }
            : {}),
      });
    };

    for (const signer of SIGNERS) {
      await run(
        `POST /t/:tenant/webhooks/${signer.source}`,
        () => webhookCases(FUZZ_TENANT, signer, now),
        ({ request, answer, calls, outgoing, changed }) => {
          const refused = answer.status >= 400;
          if (request.kind !== 'signed-malformed' && !refused)
            throw new Violation(
              `a ${request.kind} request was accepted with ${answer.status}: ${answer.body.slice(0, 200)}`,
            );
          if (refused) onlyWrites(calls, outgoing, changed, answer.status, []);
        },
      );
    }
    for (const view of ['', 'status.json', 'metrics', 'healthz'] as const)
      await run(`GET /t/:tenant/${view}`, () => adminViewCases(FUZZ_TENANT, view), adminView(view));
    for (const view of ['plots', 'plots.json', 'items/:id', 'items/:id/history.json'] as const)
      await run(`GET /t/:tenant/${view}`, () => dashboardViewCases(FUZZ_TENANT, view), dashboardView(view));
    for (const file of ['dashboard.js', 'dashboard.css'] as const)
      await run(`GET /t/:tenant/${file}`, () => staticCases(FUZZ_TENANT, file), staticFile(file));
    await run('POST /t/:tenant/login', () => loginCases(FUZZ_TENANT), login);
    await run('POST /t/:tenant/logout', () => logoutCases(FUZZ_TENANT), logout);
    await run('GET /healthz (anonymous and operator token)', () => healthCases(FUZZ_TENANT), health);
    await run(
      'streamed bodies over the cap (webhooks, login, logout)',
      () => bodyCases(FUZZ_TENANT, tenant.sources),
      streamedBody,
    );
    await run(
      'hostile tenant ids on every /t/:tenant/ route',
      () => hostileTenantCases(FUZZ_TENANT, SIGNERS, now),
      hostile,
    );
    await run(
      'other methods, unknown tenants, sources and paths',
      () => strayCases(FUZZ_TENANT, tenant.sources),
      (exchange) => {
        const { sent, pathname, answer } = exchange;
        generalRule(exchange);
        if (pathname === '/healthz' && sent.method === 'GET' && bearerOf(sent.headers) === undefined)
          expectStatus(answer.status, [200], 'GET /healthz without a token');
      },
    );
    return reports;
  } finally {
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
    await vendor.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sends one case and gathers what the checks need; undefined when the platform refuses to build it. */
async function send<T extends FuzzRequest>(
  tenant: FuzzTenant,
  request: T,
  crashes: string[],
): Promise<Exchange<T> | undefined> {
  tenant.logger.lines.length = 0;
  tenant.forgetFakes();
  if (request.pauseMs === 'waits-over') {
    const until = Math.max(...Object.values(await waitsUntil(tenant)));
    if (until > tenant.clock.now()) tenant.clock.advance(until - tenant.clock.now());
  } else if (request.pauseMs) tenant.clock.advance(request.pauseMs);
  const session = request.session ? await sessionCookie(tenant, request.session) : undefined;
  const throttled = Object.fromEntries(
    Object.entries(await waitsUntil(tenant)).map(([scope, until]) => [scope, until > tenant.clock.now()]),
  );
  const before = await tenant.snapshot();
  const streamed =
    request.body !== undefined && typeof request.body === 'object' && 'streamed' in request.body
      ? countedStream(request.body)
      : undefined;
  const sent = build(request, session, streamed?.stream);
  if (!sent) return undefined;
  tenant.takeCalls();
  const printed = watchOutput();
  let response: Response;
  let body: string;
  try {
    response = await tenant.app.fetch(sent);
    body = await response.text();
  } finally {
    printed.stop();
  }
  const { calls, outgoing } = tenant.takeCalls();
  const changed = (await tenant.snapshot()) !== before;
  if (crashes.length > 0) throw new Violation(`crash: ${crashes.join('\n')}`);
  if (printed.lines.length > 0)
    throw new Violation(`the app printed: ${printed.lines.join('').slice(0, 300)}`);
  if (response.status >= 500) {
    const logged = tenant.logger.lines.find((line) => line.level === 'error');
    throw new Violation(
      `answered ${response.status}: ${body.slice(0, 300)}${logged ? ` (logged: ${JSON.stringify(logged).slice(0, 600)})` : ''}`,
    );
  }
  return {
    request,
    sent,
    pathname: new URL(sent.url).pathname,
    answer: { status: response.status, body, headers: response.headers },
    calls,
    outgoing,
    changed,
    throttled,
    ...(session !== undefined ? { session } : {}),
    ...(streamed ? { pulled: streamed.counter.pulled } : {}),
  };
}

/** Checks for every answer of every route. */
function everyAnswer(exchange: Exchange<FuzzRequest>): void {
  const { answer } = exchange;
  const csp = answer.headers.get('content-security-policy') ?? '';
  if (
    !csp.includes("frame-ancestors 'none'") ||
    !csp.includes("default-src 'none'") ||
    csp.includes('unsafe')
  )
    throw new Violation(`answer ${answer.status} without the content security policy: "${csp}"`);
  for (const [name, value] of Object.entries(SECURITY_HEADERS))
    if (answer.headers.get(name) !== value)
      throw new Violation(
        `answer ${answer.status} without ${name}: ${value} (got ${answer.headers.get(name)})`,
      );
  const headerText = [...answer.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  for (const secret of SECRETS)
    if (answer.body.includes(secret) || headerText.includes(secret))
      throw new Violation(`a secret (${secret.slice(0, 12)}…) is in the answer`);
  if (answer.status === 429 && !/^[1-9]\d*$/.test(answer.headers.get('retry-after') ?? ''))
    throw new Violation(`429 without a Retry-After of whole seconds: ${answer.headers.get('retry-after')}`);
  const cookie = answer.headers.get('set-cookie');
  if (cookie !== null && answer.status !== 303)
    throw new Violation(`answer ${answer.status} sets a cookie: ${cookie}`);
}

// ——— the checks of each route ———

/**
 * What every admin view shares: no write but the throttle's (with a bearer), a bad id or an unknown
 * tenant or method answered as such (undefined: checked already), else the statuses its token or
 * session may get.
 */
function adminAccess(exchange: Exchange<FuzzRequest>): { id: string; expected: number[] } | undefined {
  const { request, sent, pathname, answer, calls, outgoing, changed, throttled } = exchange;
  const id = tenantOf(pathname);
  const bearer = bearerOf(sent.headers);
  const writes = id !== undefined && ADMIN_TOKENS[id] && bearer !== undefined ? [throttleOf(id)] : [];
  onlyWrites(calls, outgoing, changed, answer.status, writes);
  if (id === undefined) {
    badId(pathname, answer.status, calls);
    return undefined;
  }
  const token = ADMIN_TOKENS[id];
  if (!token || (sent.method !== 'GET' && sent.method !== 'HEAD')) {
    expectStatus(answer.status, [404], 'no such view');
    return undefined;
  }
  return { id, expected: tokenOrSession(bearer, token, request.session, id, Boolean(throttled[id])) };
}

/** The dashboard page, status.json, metrics and the tenant's healthz: 200 only to its token or session. */
function adminView(view: '' | 'status.json' | 'metrics' | 'healthz'): Check<FuzzRequest> {
  return (exchange) => {
    const { request, sent, pathname, answer } = exchange;
    if (reshaped(pathname, view)) return generalRule(exchange);
    const access = adminAccess(exchange);
    if (!access) return;
    const { id, expected } = access;
    expectStatus(answer.status, expected, `${request.kind}`);
    if (answer.status !== 200) return;
    if (view !== 'metrics' && answer.headers.get('cache-control') !== 'no-store')
      throw new Violation('an admin view answered without Cache-Control: no-store');
    if (sent.method === 'HEAD') return;
    if (view === 'status.json' && (JSON.parse(answer.body) as { tenant?: string }).tenant !== id)
      throw new Violation(`status.json of ${id} answered about another tenant`);
    if (view === 'healthz' && (JSON.parse(answer.body) as { tenant?: { id?: string } }).tenant?.id !== id)
      throw new Violation(`healthz of ${id} answered about another tenant`);
  };
}

/**
 * The plots and an item's page and history: to its token or session, 200, or 400 for input it does not
 * take, or 404 for an item it does not know; to anyone else what the other views answer.
 */
function dashboardView(view: DashboardView): Check<FuzzRequest> {
  const shape = new RegExp(`^/t/[^/]*/${view.replace(/[.]/g, '\\.').replace(':id', '[^/]+')}$`);
  return (exchange) => {
    const { request, pathname, answer } = exchange;
    if (!shape.test(pathname)) return generalRule(exchange);
    const access = adminAccess(exchange);
    if (!access) return;
    const { expected } = access;
    const input = view.startsWith('items') ? [200, 400, 404] : [200, 400];
    expectStatus(
      answer.status,
      expected.flatMap((status) => (status === 200 ? input : [status])),
      request.kind,
    );
    if (answer.status < 300 && answer.headers.get('cache-control') !== 'no-store')
      throw new Violation('a dashboard view answered without Cache-Control: no-store');
  };
}

/** The dashboard's script and style: for anyone under a well-formed id; no store call at all. */
function staticFile(file: 'dashboard.js' | 'dashboard.css'): Check<FuzzRequest> {
  const type = file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8';
  return (exchange) => {
    const { sent, pathname, answer, calls, outgoing, changed } = exchange;
    if (reshaped(pathname, file)) return generalRule(exchange);
    onlyWrites(calls, outgoing, changed, answer.status, []);
    if (calls.length > 0) throw new Violation(`a static file made store calls: ${describeCalls(calls)}`);
    const id = tenantOf(pathname);
    if (id === undefined) return badId(pathname, answer.status, calls);
    if (sent.method !== 'GET' && sent.method !== 'HEAD')
      return expectStatus(answer.status, [404], sent.method);
    expectStatus(answer.status, [200], file);
    if (answer.headers.get('content-type') !== type)
      throw new Violation(`${file} served as ${answer.headers.get('content-type')}`);
  };
}

/** The login form: a session cookie only for the tenant's own token, from the app's own origin. */
async function login(exchange: Exchange<FuzzRequest>, tenant: FuzzTenant): Promise<void> {
  const { request, sent, pathname, answer, calls, outgoing, changed, throttled } = exchange;
  if (reshaped(pathname, 'login')) return generalRule(exchange);
  const id = tenantOf(pathname);
  const token = id === undefined ? undefined : ADMIN_TOKENS[id];
  const form = expectedForm(exchange);
  const compared =
    id !== undefined && token !== undefined && !crossSite(sent.headers) && typeof form !== 'number';
  onlyWrites(calls, outgoing, changed, answer.status, compared ? [throttleOf(id)] : []);
  if (id === undefined) return badId(pathname, answer.status, calls);
  if (crossSite(sent.headers)) return refusedUnread(answer.status, 403, calls, 'a login from another site');
  if (!token) return expectStatus(answer.status, [404], 'a login to an unknown tenant');
  if (typeof form === 'number') return expectStatus(answer.status, [form], 'a form the app cannot read');
  const right = (form.get('token') ?? '') === token;
  const waiting = Boolean(throttled[id]);
  expectStatus(
    answer.status,
    right ? (waiting ? [303, 429] : [303]) : waiting ? [401, 429] : [401],
    request.kind,
  );
  if (answer.status !== 303) return;
  const cookie = answer.headers.get('set-cookie') ?? '';
  const value = /^factory_session=(v1\.[0-9a-f]{32}\.\d+\.\d+\.\d+\.[0-9a-f]{64});/.exec(cookie)?.[1];
  if (
    !value ||
    !/HttpOnly/.test(cookie) ||
    !/SameSite=Strict/.test(cookie) ||
    !cookie.includes(`Path=/t/${id}/`)
  )
    throw new Violation(`login set an unexpected cookie: ${cookie}`);
  if (answer.headers.get('location') !== `/t/${id}/`)
    throw new Violation(`login redirected to ${answer.headers.get('location')}`);
  // The session it gave opens the tenant's views (reads only; nothing is counted against the case).
  const status = await viewWithSession(tenant, id, value);
  if (status !== 200) throw new Violation(`the session login gave was refused: ${status}`);
}

/** The logout form: ends the session it carries (a store write to the sessions document, nothing else). */
async function logout(exchange: Exchange<FuzzRequest>, tenant: FuzzTenant): Promise<void> {
  const { request, sent, pathname, answer, calls, outgoing, changed, session } = exchange;
  if (reshaped(pathname, 'logout')) return generalRule(exchange);
  const id = tenantOf(pathname);
  const authentic =
    id !== undefined &&
    request.session?.tenant === id &&
    (request.session.kind === 'valid' || request.session.kind === 'revoked');
  const writes = answer.status === 303 && authentic ? [`putDocument ${id} ${SESSIONS_DOCUMENT}`] : [];
  onlyWrites(calls, outgoing, changed, answer.status, writes);
  if (id === undefined) return badId(pathname, answer.status, calls);
  if (crossSite(sent.headers)) return refusedUnread(answer.status, 403, calls, 'a logout from another site');
  if (!ADMIN_TOKENS[id]) return expectStatus(answer.status, [404], 'a logout at an unknown tenant');
  const form = expectedForm(exchange);
  if (typeof form === 'number') return expectStatus(answer.status, [form], 'a form the app cannot read');
  expectStatus(answer.status, [303], request.kind);
  const cookie = answer.headers.get('set-cookie') ?? '';
  if (!/^factory_session=;/.test(cookie) || !/Max-Age=0/.test(cookie) || !cookie.includes(`Path=/t/${id}/`))
    throw new Violation(`logout did not clear the cookie: ${cookie}`);
  if (session !== undefined && request.session?.kind === 'valid' && request.session.tenant === id) {
    const status = await viewWithSession(tenant, id, session);
    if (status !== 401) throw new Violation(`the session logout ended still opens the dashboard: ${status}`);
  }
}

/** `/healthz`: `{status, version}` for anyone, the detail only to the operator token. */
function health({ request, sent, answer, calls, outgoing, changed, throttled }: Exchange<FuzzRequest>): void {
  const bearer = bearerOf(sent.headers);
  onlyWrites(
    calls,
    outgoing,
    changed,
    answer.status,
    bearer !== undefined ? [throttleOf(OPERATOR_SCOPE)] : [],
  );
  if (sent.method !== 'GET' && sent.method !== 'HEAD') {
    expectStatus(answer.status, [404], sent.method);
    return;
  }
  const right = bearer === FUZZ_OPERATOR_TOKEN;
  const waiting = Boolean(throttled[OPERATOR_SCOPE]);
  const expected =
    bearer === undefined ? [200] : right ? (waiting ? [200, 429] : [200]) : waiting ? [401, 429] : [401];
  expectStatus(answer.status, expected, request.kind);
  if (answer.status !== 200 || sent.method === 'HEAD') return;
  const keys = Object.keys(JSON.parse(answer.body) as object).sort();
  const detail = ['status', 'store', 'tenants', 'version'];
  if (JSON.stringify(keys) !== JSON.stringify(right ? detail : ['status', 'version']))
    throw new Violation(
      `/healthz ${right ? 'with' : 'without'} the operator token answered ${keys.join(', ')}`,
    );
}

/** A streamed body: refused unread where it must be, else read no further than the cap and one chunk. */
function streamedBody({
  request,
  sent,
  answer,
  calls,
  outgoing,
  changed,
  pulled = 0,
}: Exchange<FuzzRequest & { facts: BodyFacts }>): void {
  const { facts } = request;
  const body = request.body as StreamedBody;
  const compared = facts.target === 'login' && facts.refusedUnread === undefined && body.total <= facts.cap;
  onlyWrites(calls, outgoing, changed, answer.status, compared ? [throttleOf(FUZZ_TENANT)] : []);
  if (facts.refusedUnread !== undefined) {
    expectStatus(answer.status, [facts.refusedUnread], request.kind);
    if (pulled !== 0) throw new Violation(`a request refused unread had ${pulled} bytes read`);
    return;
  }
  const declared = Number(sent.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > facts.cap) {
    expectStatus(answer.status, [413], 'a declared length over the cap');
    if (pulled !== 0) throw new Violation(`a declared length over the cap still had ${pulled} bytes read`);
  } else if (body.total > facts.cap) {
    expectStatus(answer.status, [413], 'a body over the cap');
    if (pulled > facts.cap + body.chunk)
      throw new Violation(
        `read ${pulled} bytes of an oversized body: more than the cap ${facts.cap} and a chunk ${body.chunk}`,
      );
  } else {
    // Read whole: a webhook is then refused for its signature, a login for its token; a logout is done.
    const expected =
      facts.target === 'logout' ? answer.status === 303 : answer.status >= 400 && answer.status !== 413;
    if (!expected)
      throw new Violation(`a ${body.total}-byte body under the cap ${facts.cap} got ${answer.status}`);
    if (pulled !== body.total)
      throw new Violation(`read ${pulled} of a ${body.total}-byte body under the cap`);
  }
}

/** A tenant segment that is not a tenant id: 404 on every route, before any store call. */
function hostile(exchange: Exchange<FuzzRequest>): void {
  const { request, sent, pathname, answer, calls, outgoing, changed } = exchange;
  const id = tenantOf(pathname);
  if (id === undefined && pathname.startsWith('/t/')) {
    onlyWrites(calls, outgoing, changed, answer.status, []);
    badId(pathname, answer.status, calls);
    return;
  }
  // The URL parser turned it into another path (`/t/%2e%2e/healthz` is `/healthz`), or into an id.
  generalRule(exchange);
  if (id !== undefined && !ADMIN_TOKENS[id]) {
    const rest = pathname.slice(`/t/${pathname.split('/')[2]}`.length);
    const open = sent.method === 'GET' && (rest === '/dashboard.js' || rest === '/dashboard.css');
    const bare = sent.method === 'GET' && rest === '';
    expectStatus(
      answer.status,
      open ? [200] : bare ? [301] : [404],
      `${request.kind} (the id ${id} is no tenant)`,
    );
  }
}

// ——— helpers ———

/**
 * Whether the URL parser made the request another route than the case meant (`/t/%2e/metrics` is
 * `/t/metrics`, `/t/../healthz` is `/healthz`, a backslash is a slash).
 */
function reshaped(pathname: string, suffix: string): boolean {
  return !new RegExp(`^/t/[^/]*/${suffix.replace(/[.]/g, '\\.')}$`).test(pathname);
}

/** What holds for any request: the write rule by the path it reached, unless it was an accepted delivery. */
function generalRule({ pathname, answer, calls, outgoing, changed }: Exchange<FuzzRequest>): void {
  if (answer.status < 400 && pathname.includes('/webhooks/')) return;
  onlyWrites(calls, outgoing, changed, answer.status, allowedByPath(pathname, answer.status));
}

/** The tenant id the router sees in `/t/:tenant/…`, when it is a well-formed one; undefined otherwise. */
function tenantOf(pathname: string): string | undefined {
  const segment = /^\/t\/([^/]*)/.exec(pathname)?.[1];
  if (segment === undefined) return undefined;
  const decoded = decodeSegment(segment);
  return isTenantId(decoded) ? decoded : undefined;
}

/** A request naming no well-formed tenant: 404, and not even a store read. */
function badId(pathname: string, status: number, calls: StoreCall[]): void {
  if (!pathname.startsWith('/t/')) return;
  expectStatus(status, [404], 'a tenant segment that is no tenant id');
  if (calls.length > 0) throw new Violation(`a bad tenant id reached the store: ${describeCalls(calls)}`);
}

function refusedUnread(status: number, expected: number, calls: StoreCall[], what: string): void {
  expectStatus(status, [expected], what);
  if (calls.length > 0) throw new Violation(`${what} reached the store: ${describeCalls(calls)}`);
}

function expectStatus(status: number, expected: readonly number[], what: string): void {
  if (!expected.includes(status))
    throw new Violation(`${what}: answered ${status}, expected ${expected.join(' or ')}`);
}

/** The statuses a token check (bearer) or a session may get. */
function tokenOrSession(
  bearer: string | undefined,
  token: string,
  session: SessionSpec | undefined,
  id: string,
  waiting: boolean,
): number[] {
  if (bearer !== undefined) {
    const right = bearer === token;
    // A running wait refuses any token (429, counted nowhere); without one the right token gets in.
    return right ? (waiting ? [200, 429] : [200]) : waiting ? [401, 429] : [401];
  }
  return session?.kind === 'valid' && session.tenant === id ? [200] : [401];
}

/** The form the app reads from this request, or the status it must refuse it with. */
function expectedForm({ sent, request }: Exchange<FuzzRequest>): URLSearchParams | number {
  const type = (sent.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' && sent.body === null) return new URLSearchParams();
  if (type !== 'application/x-www-form-urlencoded') return 415;
  const body = request.body;
  const bytes =
    body === undefined ? new Uint8Array() : typeof body === 'string' ? encoder.encode(body) : body;
  if (!(bytes instanceof Uint8Array)) throw new Error('a streamed body has no expected form');
  if (bytes.byteLength > FORM_MAX_BYTES) return 413;
  try {
    return new URLSearchParams(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return 400;
  }
}

/** The token of an `Authorization: Bearer …` header (the README's rule), as the app reads it. */
function bearerOf(headers: Headers): string | undefined {
  return /^Bearer +(\S.*)$/i.exec(headers.get('authorization') ?? '')?.[1];
}

const throttleOf = (scope: string) => `putDocument ${scope} ${THROTTLE_DOCUMENT}`;

/**
 * The writes a request that is no accepted delivery may make, by the path it reached: the throttle
 * document of the tenant it names (the operator's for `/healthz`), and a logout's sessions document.
 */
function allowedByPath(pathname: string, status: number): string[] {
  // The routes behind the operator token count its wrong guesses.
  if (pathname === '/healthz' || pathname === '/metrics') return [throttleOf(OPERATOR_SCOPE)];
  const id = tenantOf(pathname);
  if (id === undefined || !ADMIN_TOKENS[id]) return [];
  return [
    throttleOf(id),
    ...(status === 303 && pathname.endsWith('/logout') ? [`putDocument ${id} ${SESSIONS_DOCUMENT}`] : []),
  ];
}

/**
 * The write rule: only the named writes (`putDocument <tenant> <document>`), and neither a provider
 * write nor a change to the records, queue or slots.
 */
function onlyWrites(
  calls: StoreCall[],
  outgoing: number,
  changed: boolean,
  status: number,
  allowed: string[],
): void {
  const forbidden = withoutForgotten(calls)
    .filter((call) => WRITE_METHODS.has(call.method))
    .filter((call) => !allowed.includes(`${call.method} ${call.tenant} ${call.document ?? ''}`.trim()));
  if (forbidden.length > 0 || outgoing > 0 || changed)
    throw new Violation(
      `answered ${status} but wrote ${forbidden.length > 0 ? describeCalls(forbidden) : 'nothing to the store'}${outgoing > 0 ? `, ${outgoing} provider write(s)` : ''}${changed ? ', and the records, queue or slots changed' : ''} (allowed: ${allowed.join(', ') || 'nothing'})`,
    );
}

/**
 * The calls without each delivery key remembered and then forgotten in the same request: a source that
 * names its deliveries has a delivery remembered before it is interpreted (a retry then costs one
 * write), and forgotten again when it turns out malformed or is refused, which leaves nothing behind.
 */
function withoutForgotten(calls: StoreCall[]): StoreCall[] {
  const remembered = new Map<string, number>();
  const dropped = new Set<number>();
  calls.forEach((call, index) => {
    const scoped = `${call.tenant}\u0000${call.key}`;
    if (call.method === 'rememberEvent') remembered.set(scoped, index);
    const earlier = remembered.get(scoped);
    if (call.method === 'forgetEvent' && earlier !== undefined) {
      dropped.add(earlier).add(index);
      remembered.delete(scoped);
    }
  });
  return calls.filter((_, index) => !dropped.has(index));
}

function describeCalls(calls: StoreCall[]): string {
  return calls
    .map((call) => `${call.method}(${call.tenant}${call.document ? `, ${call.document}` : ''})`)
    .join(', ');
}

/**
 * When the last throttle wait of each scope ends (from the throttle's document; 0 when none was set).
 * Only the end of a wait is read, not whose it is: a running wait anywhere in the scope allows a 429.
 */
async function waitsUntil(tenant: FuzzTenant): Promise<Record<string, number>> {
  const waits: Record<string, number> = {};
  for (const scope of [FUZZ_TENANT, OTHER_TENANT, OPERATOR_SCOPE]) {
    const document = await tenant.store.getDocument(scope, THROTTLE_DOCUMENT);
    const buckets = (document?.value as { buckets?: Record<string, { until?: number }> } | undefined)
      ?.buckets;
    waits[scope] = Math.max(0, ...Object.values(buckets ?? {}).map((bucket) => bucket.until ?? 0));
  }
  return waits;
}

async function sessionCookie(tenant: FuzzTenant, spec: SessionSpec): Promise<string> {
  if (spec.kind !== 'tampered') return tenant.mintSession(spec.tenant, spec.kind);
  const value = await tenant.mintSession(spec.tenant, 'valid');
  // One hex digit of the MAC changed.
  const last = value.at(-1) === '0' ? '1' : '0';
  return `${value.slice(0, -1)}${last}`;
}

/** A status view of `id` with a session cookie, through the app, its calls not counted against the case. */
async function viewWithSession(tenant: FuzzTenant, id: string, session: string): Promise<number> {
  const response = await tenant.app.fetch(
    new Request(`${FUZZ_ORIGIN}/t/${id}/status.json`, { headers: { cookie: `factory_session=${session}` } }),
  );
  await response.arrayBuffer();
  tenant.takeCalls();
  return response.status;
}

/** The Request the app gets; undefined when the platform itself refuses to build it (not the app's doing). */
function build(
  request: FuzzRequest,
  session: string | undefined,
  stream: ReadableStream | undefined,
): Request | undefined {
  const headers = { ...request.headers };
  if (session !== undefined)
    headers.cookie = [headers.cookie, `factory_session=${session}`].filter(Boolean).join('; ');
  try {
    return new Request(`${FUZZ_ORIGIN}${request.path}`, {
      method: request.method,
      headers,
      ...(stream
        ? { body: stream, duplex: 'half' }
        : request.body !== undefined
          ? { body: request.body as BodyInit }
          : {}),
    } as RequestInit);
  } catch {
    return undefined;
  }
}

const FILL = {
  form: encoder.encode(`token=${'a'.repeat(256 * 1024)}`),
  json: encoder.encode(`{"a":"${'a'.repeat(256 * 1024)}`),
};

/** A body of `total` bytes in `chunk`-byte pieces that counts what is pulled (nothing is read ahead). */
function countedStream(body: StreamedBody): {
  stream: ReadableStream<Uint8Array>;
  counter: { pulled: number };
} {
  const counter = { pulled: 0 };
  const fill = FILL[body.fill];
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const left = body.total - counter.pulled;
        if (left <= 0) return controller.close();
        const size = Math.min(body.chunk, left);
        counter.pulled += size;
        controller.enqueue(fill.subarray(0, size));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

/** Counts what is printed to stdout and stderr (or through console) until `stop()`. */
function watchOutput(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((stream) => stream.write);
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((method) => console[method]);
  for (const stream of streams)
    stream.write = ((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    }) as typeof stream.write;
  for (const method of methods)
    console[method] = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
  return {
    lines,
    stop() {
      streams.forEach((stream, index) => {
        stream.write = writes[index] as typeof stream.write;
      });
      methods.forEach((method, index) => {
        console[method] = saved[index] as (typeof console)[typeof method];
      });
    },
  };
}

function sorted(tally: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(tally).sort(([a], [b]) => a.localeCompare(b)));
}

function describe(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : typeof request.body === 'string'
        ? JSON.stringify(request.body.slice(0, 4000))
        : 'streamed' in request.body
          ? `streamed ${request.body.total} bytes in ${request.body.chunk}-byte chunks`
          : `bytes[${request.body.length}] ${Buffer.from(request.body.slice(0, 64)).toString('hex')}`;
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      value.length > 120 ? `${value.slice(0, 40)}…(${value.length} chars)` : value,
    ]),
  );
  const path =
    request.path.length > 300 ? `${request.path.slice(0, 120)}…(${request.path.length} chars)` : request.path;
  return `${request.kind}: ${request.method} ${path} headers=${JSON.stringify(headers)} body=${body}${request.session ? ` session=${request.session.kind} of ${request.session.tenant}` : ''}${request.pauseMs === 'waits-over' ? ' once the throttle waits were over' : request.pauseMs ? ` after ${request.pauseMs} ms` : ''}`;
}
