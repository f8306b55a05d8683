import { DEFAULT_MAX_BODY_BYTES, FORM_MAX_BYTES, isTenantId } from '@software-factory/sdk';
import fc from 'fast-check';
import {
  FUZZ_ADMIN_TOKEN,
  FUZZ_OPERATOR_TOKEN,
  FUZZ_ORIGIN,
  FUZZ_SECRET,
  OTHER_ADMIN_TOKEN,
  OTHER_TENANT,
  PEER_HEADER,
  type SessionKind,
} from './fuzz-tenant.ts';
import type { SourceSigner } from './source-signers.ts';

/** What a webhook delivery is, and so what the app may answer and change. */
export type CaseKind =
  | 'unsigned'
  | 'wrong-signature'
  | 'stale'
  | 'signed-malformed'
  | 'non-utf8'
  | 'wrong-content-type'
  | 'huge-header';

/** A body sent as a stream of `chunk`-byte pieces, `total` bytes in all, counted as the app pulls them. */
export interface StreamedBody {
  streamed: true;
  total: number;
  chunk: number;
  /** What the bytes look like: a form (`token=aaaa…`) or JSON-ish (`{"a":"aaaa…`). */
  fill: 'form' | 'json';
}

/** A session cookie the case sends, made when the case runs (a session has to be issued at that time). */
export interface SessionSpec {
  tenant: string;
  kind: SessionKind | 'tampered';
}

export interface FuzzRequest {
  /** What the request is: the status tally groups by it. */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | StreamedBody;
  session?: SessionSpec;
  /**
   * Milliseconds the app's clock moves on before the request, or `waits-over`: until every running
   * throttle wait is over (so the right token gets in again now and then).
   */
  pauseMs?: number | 'waits-over';
}

const encoder = new TextEncoder();
const printable = fc.string({
  unit: fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) }),
  maxLength: 120,
});
const hexString = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 0, maxLength: 80 });
/** Header values a sender might send, right-looking or not (Headers refuse CR, LF and NUL, so none here). */
const headerValue = fc.oneof(
  printable,
  hexString,
  hexString.map((value) => `sha256=${value}`),
  hexString.map((value) => `v0=${value}`),
  fc.integer().map(String),
  fc.constantFrom('', ' ', 'null', '0', '-1', '1e309', '9999999999999', 'pull_request', 'ping', 'Issue'),
);
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/);
const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/jsonx',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  '',
];
const nonJsonTypes = contentTypes.filter((type) => !/^application\/json(;|$)/i.test(type));
const anyBody = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.json({ maxDepth: 4 }),
  fc.uint8Array({ maxLength: 600 }),
  fc.constantFrom(
    '',
    '{',
    '[]',
    'null',
    '{"type":"url_verification","challenge":"x"}',
    '\u0000',
    '{"__proto__":{"x":1}}',
  ),
);

/** The sample body with one field (at any depth) removed or replaced by another JSON value. */
function mutated(sample: string) {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (paths.length > 300) return;
    paths.push(path);
    if (Array.isArray(value)) for (const [index, item] of value.entries()) walk(item, [...path, index]);
    else if (value && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(JSON.parse(sample), []);
  return fc
    .tuple(fc.nat(), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }))
    .map(([at, replacement]) => {
      const root = JSON.parse(sample) as Record<string, unknown>;
      const path = paths[at % paths.length] ?? [];
      if (path.length === 0) return JSON.stringify(replacement ?? null);
      const parent = path
        .slice(0, -1)
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
      const key = path.at(-1) as string | number;
      if (replacement === undefined) delete (parent as Record<string | number, unknown>)[key];
      else (parent as Record<string | number, unknown>)[key] = replacement;
      return JSON.stringify(root);
    });
}

const toBytes = (body: string | Uint8Array) => (typeof body === 'string' ? encoder.encode(body) : body);

/** Every kind of bad (or nearly good) delivery to one webhook source. */
export function webhookCases(
  tenant: string,
  signer: SourceSigner,
  now: () => number,
): fc.Arbitrary<FuzzRequest> {
  const path = `/t/${tenant}/webhooks/${signer.source}`;
  const sample = signer.sample(now());
  const junkHeaders = fc.dictionary(
    fc.oneof(fc.constantFrom(...signer.headerNames), headerName),
    headerValue,
    {
      maxKeys: 6,
    },
  );
  const post = (kind: CaseKind, headers: Record<string, string>, body: string | Uint8Array): FuzzRequest => ({
    kind,
    method: 'POST',
    path,
    headers,
    body,
  });
  const signed = (body: string | Uint8Array, sentAt = now(), secret?: string) => ({
    'content-type': 'application/json',
    ...signer.sign(toBytes(body), sentAt, secret),
  });

  const cases: fc.Arbitrary<FuzzRequest>[] = [
    fc
      .record({
        headers: junkHeaders,
        type: fc.constantFrom(...contentTypes),
        body: fc.oneof(anyBody, mutated(sample)),
      })
      .map(({ headers, type, body }) => post('unsigned', { ...headers, 'content-type': type }, body)),
    fc
      .tuple(fc.oneof(fc.constant(sample), mutated(sample)), printable)
      .map(([body, secret]) => post('wrong-signature', signed(body, now(), `not-the-secret${secret}`), body)),
    fc
      .tuple(fc.oneof(anyBody, mutated(sample)))
      .map(([body]) => post('signed-malformed', signed(body), body)),
    fc
      .tuple(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]),
      )
      .map(([prefix, invalid]) => {
        const body = new Uint8Array([...prefix, ...invalid, 0x7b]);
        return post('non-utf8', signed(body), body);
      }),
    fc
      .constantFrom(...nonJsonTypes)
      .map((type) => post('wrong-content-type', { ...signed(sample), 'content-type': type }, sample)),
    fc
      .tuple(fc.constantFrom(...signer.headerNames, 'x-padding'), fc.integer({ min: 8_192, max: 65_536 }))
      .map(([name, size]) =>
        post('huge-header', { 'content-type': 'application/json', [name]: 'a'.repeat(size) }, sample),
      ),
  ];
  if (signer.signsTime) {
    cases.push(
      fc
        .oneof(
          fc.integer({ min: 6 * 60_000, max: 400 * 86_400_000 }),
          fc.integer({ min: -400 * 86_400_000, max: -6 * 60_000 }),
        )
        .map((skew) => {
          const sentAt = now() - skew;
          const body = signer.sample(sentAt);
          return post('stale', signed(body, sentAt), body);
        }),
    );
  }
  return fc.oneof(...cases);
}

// ——— the admin routes: the dashboard, its JSON, metrics, health, login, logout ———

/**
 * How far the clock moves before a case: mostly not at all, sometimes a few seconds (the first waits of
 * the throttle are 1, 2, 4 s), now and then until every running throttle wait is over.
 */
const pause: fc.Arbitrary<number | 'waits-over'> = fc.oneof(
  { arbitrary: fc.constant(0), weight: 6 },
  { arbitrary: fc.integer({ min: 1, max: 5_000 }), weight: 2 },
  { arbitrary: fc.constant('waits-over' as const), weight: 1 },
);

/**
 * Who sends the request: a few returning addresses, strangers, clients behind a trusted proxy (with
 * whatever X-Forwarded-For they made up), no address at all, junk.
 */
const client: fc.Arbitrary<Record<string, string>> = fc.oneof(
  {
    arbitrary: fc
      .constantFrom('198.51.100.1', '198.51.100.2', '2001:db8::7', '::ffff:198.51.100.1')
      .map((address) => ({ [PEER_HEADER]: address })),
    weight: 4,
  },
  { arbitrary: fc.ipV4().map((address) => ({ [PEER_HEADER]: address })), weight: 2 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom('10.0.0.1', '10.20.30.40'),
        fc.array(fc.oneof(fc.ipV4(), fc.constantFrom('10.0.0.2', 'unknown', '198.51.100.1')), {
          maxLength: 4,
        }),
      )
      .map(([proxy, hops]) => ({
        [PEER_HEADER]: proxy,
        ...(hops.length > 0 ? { 'x-forwarded-for': hops.join(', ') } : {}),
      })),
    weight: 2,
  },
  { arbitrary: fc.constant({}), weight: 1 },
  { arbitrary: printable.map((address) => ({ [PEER_HEADER]: address })), weight: 1 },
);

/** Tenant ids no route may take for a tenant: separators, NUL, dots, unicode, too long, empty, bad escapes. */
export const HOSTILE_IDS: readonly (readonly [label: string, segment: string])[] = [
  ['separator', 'a%3Bb'],
  ['separator', 'a%2Fb'],
  ['separator', '%2F'],
  ['separator', '%2F..%2Ffuzz'],
  ['separator', 'fuzz%2F..'],
  ['separator', 'fuzz%3B'],
  ['separator', 'fuzz%2Cfuzz-other'],
  ['separator', 'fuzz%3Fx%3D1'],
  ['separator', 'fuzz%23x'],
  ['separator', 'a%3Bpath%3D%2F'],
  ['separator', 'fuzz%5C..'],
  ['separator', 'fuzz\\..\\fuzz'],
  ['NUL or control', '%00'],
  ['NUL or control', 'fuzz%00'],
  ['NUL or control', 'a%00b'],
  ['NUL or control', 'fuzz%0A'],
  ['NUL or control', '%0D%0ASet-Cookie:%20x=1'],
  ['NUL or control', '%09fuzz'],
  ['NUL or control', 'fuzz%7F'],
  ['dots', '..'],
  ['dots', '.'],
  ['dots', '%2E%2E'],
  ['dots', '%2e'],
  ['dots', '.fuzz'],
  ['dots', 'fuzz.json'],
  ['empty', ''],
  ['empty', '%20'],
  ['space', 'fuzz%20'],
  ['space', '%20fuzz'],
  ['unicode', 'ü'],
  ['unicode', '%C3%BC'],
  ['unicode', '%F0%9F%92%A5'],
  ['unicode', '%E2%80%AEfuzz'],
  ['unicode', 'ｆｕｚｚ'],
  ['unicode', 'fuzz%EF%BB%BF'],
  ['malformed escape', '%'],
  ['malformed escape', '%25'],
  ['malformed escape', '%G1'],
  ['malformed escape', '%E0%A4%A'],
  ['malformed escape', '%C0%AF'],
  ['malformed escape', '%FF'],
  ['malformed escape', '%252F'],
  ['not an id', '_operator'],
  ['not an id', '-fuzz'],
  ['not an id', '_'],
  ['very long', 'a'.repeat(65)],
];

const hostileAlphabet = fc.constantFrom(
  ';',
  '/',
  '\u0000',
  '%',
  '.',
  '\\',
  ' ',
  'é',
  '💥',
  '\u202e',
  '?',
  '#',
  '\n',
  ':',
  'a',
  'F',
  '_',
  '-',
);

/** A tenant segment built to be refused: fixed nasties, random mixes of separators, and very long ones. */
const hostileSegment: fc.Arbitrary<{ label: string; segment: string }> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_IDS).map(([label, segment]) => ({ label, segment })), weight: 4 },
  {
    arbitrary: fc
      .tuple(
        fc.array(hostileAlphabet, { minLength: 1, maxLength: 30 }),
        fc.constantFrom('once', 'twice', 'raw'),
      )
      .map(([chars, encoding]) => {
        const text = chars.join('');
        const once = encodeURIComponent(text);
        const segment =
          encoding === 'once'
            ? once
            : encoding === 'twice'
              ? encodeURIComponent(once)
              : text.replace(/[/?#%]/g, (c) => encodeURIComponent(c));
        return { label: 'random', segment };
      }),
    weight: 3,
  },
  {
    arbitrary: fc
      .oneof(
        fc.integer({ min: 65, max: 20_000 }).map((n) => 'a'.repeat(n)),
        fc.integer({ min: 30, max: 3_000 }).map((n) => '%3B'.repeat(n)),
        fc.integer({ min: 30, max: 2_000 }).map((n) => '%F0%9F%92%A5'.repeat(n)),
      )
      .map((segment) => ({ label: 'very long', segment })),
    weight: 1,
  },
);

/** The class of a tenant segment, for the tallies: the tenant itself, the other tenant, another id, a bad id. */
export function segmentClass(segment: string, tenant: string): string {
  if (segment === tenant) return '';
  // What the router gets is what the URL parser left: dot segments resolved, backslashes made slashes.
  const parsed = URL.canParse(`/t/${segment}/x`, FUZZ_ORIGIN)
    ? /^\/t\/([^/]*)\/x$/.exec(new URL(`/t/${segment}/x`, FUZZ_ORIGIN).pathname)?.[1]
    : undefined;
  if (parsed === undefined) return ' @another path';
  const decoded = decodeSegment(parsed);
  if (decoded === tenant) return ' @alias';
  if (decoded === OTHER_TENANT) return ` @${OTHER_TENANT}`;
  return isTenantId(decoded) ? ' @another id' : ' @bad id';
}

/** A path segment as the router hands it over: percent-decoded, or as it is when that fails. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const tenantSegment = (tenant: string) =>
  fc.oneof(
    { arbitrary: fc.constant(tenant), weight: 12 },
    { arbitrary: fc.constant(OTHER_TENANT), weight: 1 },
    { arbitrary: fc.string({ maxLength: 80 }).map(encodeURIComponent), weight: 1 },
    { arbitrary: hostileSegment.map(({ segment }) => segment), weight: 1 },
  );

interface Credential {
  label: string;
  headers: Record<string, string>;
  session?: SessionSpec;
}

const nonBlank = headerValue.filter((value) => value.trim() !== '');
const bearer = (label: string, value: string): Credential => ({ label, headers: { authorization: value } });
const sessionKinds = fc.constantFrom<SessionSpec['kind']>('valid', 'valid', 'revoked', 'expired', 'tampered');
const sessionLabel = (kind: SessionSpec['kind']) => (kind === 'valid' ? 'session' : `${kind} session`);

/** The token with its last character gone, one character too many, and in capitals. */
function nearMisses(token: string): string[] {
  return [token.slice(0, -1), `${token}x`, token.toUpperCase()];
}

/**
 * An Authorization header around one bearer token: the right token as clients spell it, a wrong one
 * (someone else's, nearly right, junk), and values that are no bearer token at all.
 */
function bearerCredentials(cases: {
  label: string;
  spellings: string[];
  wrong: string[];
  notBearer: string[];
}): fc.WeightedArbitrary<Credential>[] {
  const wrongToken = (value: string) => bearer('wrong token', `Bearer ${value}`);
  return [
    { arbitrary: fc.constantFrom(...cases.spellings).map((value) => bearer(cases.label, value)), weight: 3 },
    { arbitrary: fc.constantFrom(...cases.wrong).map(wrongToken), weight: 2 },
    { arbitrary: nonBlank.map(wrongToken), weight: 2 },
    {
      arbitrary: fc
        .oneof(headerValue, fc.constantFrom(...cases.notBearer))
        .map((value) => bearer('not a bearer', value)),
      weight: 1,
    },
  ];
}

/**
 * What a client may send to prove it is the tenant's admin: the token (right, nearly right, another
 * tenant's, the operator's, junk), a session (current, revoked, expired, tampered, another tenant's),
 * both, or nothing.
 */
function adminCredential(tenant: string): fc.Arbitrary<Credential> {
  const token = FUZZ_ADMIN_TOKEN;
  return fc.oneof(
    { arbitrary: fc.constant({ label: 'no credential', headers: {} }), weight: 2 },
    ...bearerCredentials({
      label: 'admin token',
      spellings: [`Bearer ${token}`, `bearer ${token}`, `Bearer   ${token}`],
      wrong: [
        OTHER_ADMIN_TOKEN,
        FUZZ_OPERATOR_TOKEN,
        FUZZ_SECRET,
        ...nearMisses(token),
        `${token.slice(0, -1)}${token.endsWith('f') ? 'e' : 'f'}`,
      ],
      notBearer: [`Token ${token}`, `Basic ${btoa(`admin:${token}`)}`, token, 'Bearer', `Bearer${token}`],
    }),
    {
      arbitrary: fc
        .oneof(headerValue, fc.constant(token), fc.constant(`v1.${token}`))
        .map((value) => ({ label: 'junk cookie', headers: { cookie: `factory_session=${value}` } })),
      weight: 1,
    },
    {
      arbitrary: sessionKinds.map((kind) => ({
        label: sessionLabel(kind),
        headers: {},
        session: { tenant, kind },
      })),
      weight: 3,
    },
    {
      arbitrary: fc.constant({
        label: "other tenant's session",
        headers: {},
        session: { tenant: OTHER_TENANT, kind: 'valid' as const },
      }),
      weight: 1,
    },
    {
      arbitrary: nonBlank.map((value) => ({
        label: 'wrong token + session',
        headers: { authorization: `Bearer ${value}` },
        session: { tenant, kind: 'valid' as const },
      })),
      weight: 1,
    },
  );
}

/** The token in a query string, where it must count for nothing. */
const tokenInQuery = (token: string) =>
  fc.oneof(
    { arbitrary: fc.constant(''), weight: 8 },
    {
      arbitrary: fc.constantFrom(
        `?token=${token}`,
        `?access_token=${token}`,
        `?authorization=Bearer%20${token}`,
        `?factory_session=${token}`,
      ),
      weight: 1,
    },
  );

/** Requests to one read-only admin view of a tenant: any tenant segment, method and credentials. */
export function adminViewCases(
  tenant: string,
  route: '' | 'status.json' | 'metrics' | 'healthz',
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      segment: tenantSegment(tenant),
      credential: adminCredential(tenant),
      client,
      extra: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
      method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE'),
      query: tokenInQuery(FUZZ_ADMIN_TOKEN),
      pauseMs: pause,
    })
    .map(({ segment, credential, client, extra, method, query, pauseMs }) => ({
      kind: `${method === 'GET' || method === 'HEAD' ? `${credential.label}${query ? ', token in query' : ''}` : method}${segmentClass(segment, tenant)}`,
      method,
      path: `/t/${segment}/${route}${query}`,
      headers: { ...extra, ...client, ...credential.headers },
      ...(credential.session ? { session: credential.session } : {}),
      pauseMs,
    }));
}

/** The dashboard's views that take input (issue #28): a plot window, filters, an item id. */
export type DashboardView = 'plots' | 'plots.json' | 'items/:id' | 'items/:id/history.json';

/** A query value as a person, a script or an attacker might send it. */
const queryValue = fc.oneof(
  fc.constantFrom(
    '24h',
    '7d',
    '30d',
    '1y',
    '',
    'done',
    'queued',
    'stuck',
    'DEMO-1',
    '%00',
    '%E0%A4%A',
    'x'.repeat(300),
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

/** Requests to the plots and an item's page and history: any tenant segment, credentials and input. */
export function dashboardViewCases(tenant: string, view: DashboardView): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      segment: tenantSegment(tenant),
      credential: adminCredential(tenant),
      client,
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST'),
      params: fc.array(
        fc.tuple(fc.constantFrom('window', 'status', 'route', 'label', 'q', 'token'), queryValue),
        { maxLength: 3 },
      ),
      id: fc.oneof(
        fc.constantFrom('item-1', 'no-such-item', '%2F', '%00', '..', 'x'.repeat(400)),
        fc.stringMatching(/^[A-Za-z0-9_.~-]{1,40}$/),
      ),
      pauseMs: pause,
    })
    .map(({ segment, credential, client, method, params, id, pauseMs }) => {
      const query = params.length ? `?${params.map(([name, value]) => `${name}=${value}`).join('&')}` : '';
      return {
        kind: `${method === 'POST' ? 'POST' : credential.label}${segmentClass(segment, tenant)}`,
        method,
        path: `/t/${segment}/${view.replace(':id', id)}${query}`,
        headers: { ...client, ...credential.headers },
        ...(credential.session ? { session: credential.session } : {}),
        pauseMs,
      };
    });
}

/** The dashboard's script and style: static, for anyone, under any well-formed tenant id. */
export function staticCases(
  tenant: string,
  file: 'dashboard.js' | 'dashboard.css',
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      segment: fc.oneof(
        { arbitrary: fc.constant(tenant), weight: 4 },
        { arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/), weight: 2 },
        { arbitrary: hostileSegment.map(({ segment }) => segment), weight: 2 },
      ),
      credential: adminCredential(tenant),
      extra: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE'),
    })
    .map(({ segment, credential, extra, method }) => ({
      kind: `${method}${segmentClass(segment, tenant)}`,
      method,
      path: `/t/${segment}/${file}`,
      headers: { ...extra, ...credential.headers },
      ...(credential.session ? { session: credential.session } : {}),
    }));
}

/**
 * Where a form post says it comes from: our own page (usually), no browser at all, a browser hiding its
 * origin (`Origin: null`) with `Sec-Fetch-Site`, or another site.
 */
const formOrigin: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({ origin: FUZZ_ORIGIN }), weight: 8 },
  { arbitrary: fc.constant({}), weight: 2 },
  {
    arbitrary: fc
      .constantFrom('same-origin', 'none')
      .map((site) => ({ origin: 'null', 'sec-fetch-site': site })),
    weight: 1,
  },
  {
    arbitrary: fc
      .record({
        origin: fc.option(
          fc.constantFrom(
            'null',
            'https://evil.example',
            'http://127.0.0.1:80',
            'http://127.0.0.1.evil.example',
            'https://127.0.0.1',
            'http://localhost',
            FUZZ_ORIGIN.toUpperCase(),
          ),
          { nil: undefined },
        ),
        site: fc.option(fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none'), {
          nil: undefined,
        }),
      })
      .map(({ origin, site }) => ({
        ...(origin !== undefined ? { origin } : {}),
        ...(site !== undefined ? { 'sec-fetch-site': site } : {}),
      })),
    weight: 2,
  },
);

/**
 * Whether the app must refuse a form post as coming from another site (README: the `Origin` must be the
 * app's own; without one, `Sec-Fetch-Site` must be `same-origin` or `none`; `Origin: null` alone is
 * refused). The fuzz app has no public URL and no `X-Forwarded-Proto`, so its own origin is the only one.
 */
export function crossSite(headers: Headers): boolean {
  const origin = headers.get('origin');
  if (origin !== null && origin !== 'null') return origin !== FUZZ_ORIGIN;
  const site = headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin' && site !== 'none';
  return origin !== null;
}

const form = 'application/x-www-form-urlencoded';
const formToken = (token: string) => `token=${encodeURIComponent(token)}`;

/** The login form: any body and type, from anywhere, now and then the right token. */
export function loginCases(tenant: string): fc.Arbitrary<FuzzRequest> {
  const body = fc.oneof(
    { arbitrary: fc.constant({ label: 'admin token', body: formToken(FUZZ_ADMIN_TOKEN) }), weight: 3 },
    {
      arbitrary: fc
        .constantFrom(
          `x=1&${formToken(FUZZ_ADMIN_TOKEN)}`,
          `${formToken(FUZZ_ADMIN_TOKEN)}&token=x`,
          `token=x&${formToken(FUZZ_ADMIN_TOKEN)}`,
          `TOKEN=${FUZZ_ADMIN_TOKEN}`,
          formToken(OTHER_ADMIN_TOKEN),
          formToken(FUZZ_OPERATOR_TOKEN),
          formToken(`${FUZZ_ADMIN_TOKEN} `),
          formToken(FUZZ_ADMIN_TOKEN.slice(1)),
        )
        .map((value) => ({ label: 'token variant', body: value })),
      weight: 2,
    },
    { arbitrary: printable.map((token) => ({ label: 'wrong token', body: formToken(token) })), weight: 2 },
    { arbitrary: anyBody.map((value) => ({ label: 'junk body', body: value })), weight: 2 },
    { arbitrary: fc.constant({ label: 'no body', body: undefined }), weight: 1 },
    {
      arbitrary: fc
        .integer({ min: FORM_MAX_BYTES - 100, max: FORM_MAX_BYTES + 2_000 })
        .map((n) => ({ label: 'long form', body: `${formToken(FUZZ_ADMIN_TOKEN)}&pad=${'a'.repeat(n)}` })),
      weight: 1,
    },
  );
  return fc
    .record({
      segment: tenantSegment(tenant),
      body,
      type: fc.oneof(
        { arbitrary: fc.constant(form), weight: 6 },
        { arbitrary: fc.constant(`${form}; charset=utf-8`), weight: 1 },
        { arbitrary: fc.constantFrom(...contentTypes), weight: 2 },
      ),
      origin: formOrigin,
      client,
      pauseMs: pause,
    })
    .map(({ segment, body: { label, body: value }, type, origin, client, pauseMs }) => ({
      kind: `${label}${type.startsWith(form) ? '' : ' (not a form)'}${crossSite(new Headers(origin)) ? ' from another site' : ''}${segmentClass(segment, tenant)}`,
      method: 'POST',
      path: `/t/${segment}/login`,
      headers: { ...client, ...origin, ...(type ? { 'content-type': type } : {}) },
      ...(value !== undefined ? { body: value } : {}),
      pauseMs,
    }));
}

/** The logout form: with or without a session (current, revoked, expired, tampered, another tenant's). */
export function logoutCases(tenant: string): fc.Arbitrary<FuzzRequest> {
  const who = fc.oneof(
    {
      arbitrary: sessionKinds.map(
        (kind): Credential => ({ label: sessionLabel(kind), headers: {}, session: { tenant, kind } }),
      ),
      weight: 5,
    },
    {
      arbitrary: fc.constant<Credential>({
        label: "other tenant's session",
        headers: {},
        session: { tenant: OTHER_TENANT, kind: 'valid' },
      }),
      weight: 1,
    },
    { arbitrary: fc.constant<Credential>({ label: 'no session', headers: {} }), weight: 1 },
    {
      arbitrary: headerValue.map(
        (value): Credential => ({ label: 'junk cookie', headers: { cookie: `factory_session=${value}` } }),
      ),
      weight: 1,
    },
  );
  interface LogoutBody {
    label: string;
    type?: string;
    body?: string | Uint8Array;
  }
  const body: fc.Arbitrary<LogoutBody> = fc.oneof(
    { arbitrary: fc.constant({ label: '' }), weight: 4 },
    { arbitrary: fc.constant({ label: '', type: form, body: '' }), weight: 2 },
    { arbitrary: anyBody.map((value) => ({ label: ', junk form', type: form, body: value })), weight: 1 },
    {
      arbitrary: fc
        .record({ type: fc.constantFrom(...contentTypes), body: anyBody })
        .map(({ type, body: value }) => ({
          label: type.startsWith(form) ? ', junk form' : ', not a form',
          type,
          body: value,
        })),
      weight: 1,
    },
    {
      arbitrary: fc
        .integer({ min: FORM_MAX_BYTES - 100, max: FORM_MAX_BYTES + 2_000 })
        .map((n) => ({ label: ', long form', type: form, body: `x=${'a'.repeat(n)}` })),
      weight: 1,
    },
  );
  return fc
    .record({ segment: tenantSegment(tenant), who, body, origin: formOrigin, client })
    .map(({ segment, who: credential, body: { label, type, body: value }, origin, client }) => ({
      kind: `${credential.label}${label}${crossSite(new Headers(origin)) ? ' from another site' : ''}${segmentClass(segment, tenant)}`,
      method: 'POST',
      path: `/t/${segment}/logout`,
      headers: { ...client, ...origin, ...credential.headers, ...(type ? { 'content-type': type } : {}) },
      ...(value !== undefined ? { body: value } : {}),
      ...(credential.session ? { session: credential.session } : {}),
    }));
}

/** `/healthz`, anonymous or with the operator token (right, nearly right, a tenant's, junk). */
export function healthCases(tenant: string): fc.Arbitrary<FuzzRequest> {
  const operator = FUZZ_OPERATOR_TOKEN;
  const credential = fc.oneof(
    { arbitrary: fc.constant<Credential>({ label: 'anonymous', headers: {} }), weight: 3 },
    ...bearerCredentials({
      label: 'operator token',
      spellings: [`Bearer ${operator}`, `bearer ${operator}`, `Bearer  ${operator}`],
      wrong: [FUZZ_ADMIN_TOKEN, OTHER_ADMIN_TOKEN, ...nearMisses(operator)],
      notBearer: [operator, `Token ${operator}`, `Basic ${btoa(`operator:${operator}`)}`],
    }),
    {
      arbitrary: fc.constant<Credential>({
        label: "a tenant's session",
        headers: {},
        session: { tenant, kind: 'valid' },
      }),
      weight: 1,
    },
  );
  return fc
    .record({
      credential,
      client,
      extra: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
      method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE'),
      query: tokenInQuery(operator),
      pauseMs: pause,
    })
    .map(({ credential: c, client, extra, method, query, pauseMs }) => ({
      kind: method === 'GET' || method === 'HEAD' ? `${c.label}${query ? ', token in query' : ''}` : method,
      method,
      path: `/healthz${query}`,
      headers: { ...extra, ...client, ...c.headers },
      ...(c.session ? { session: c.session } : {}),
      pauseMs,
    }));
}

// ——— bodies over the cap, streamed ———

/** What the app must do with a streamed body: read it (and how far), or refuse it unread. */
export interface BodyFacts {
  target: string;
  /** The cap of the route: 1 MiB for webhooks, 4 KiB for the forms. */
  cap: number;
  /** The app must refuse it before reading anything, with this status; undefined: the app reads it. */
  refusedUnread?: number;
}

/**
 * Bodies streamed in chunks to the routes that read one (every webhook source, login, logout): larger
 * than the cap or not, with no Content-Length, a lying one (smaller than the stream, or larger than the
 * cap), the exact one, or junk; and the same to requests the app must refuse before reading (a wrong
 * content type, another site, an unknown tenant or source).
 */
export function bodyCases(
  tenant: string,
  sources: readonly string[],
): fc.Arbitrary<FuzzRequest & { facts: BodyFacts }> {
  const target = fc.oneof(
    { arbitrary: fc.constantFrom(...sources).map((source) => `webhooks/${source}`), weight: 3 },
    { arbitrary: fc.constant('webhooks/no-such-source'), weight: 1 },
    { arbitrary: fc.constantFrom('login', 'logout'), weight: 3 },
  );
  return target.chain((route) => {
    const webhook = route.startsWith('webhooks/');
    const cap = webhook ? DEFAULT_MAX_BODY_BYTES : FORM_MAX_BYTES;
    const chunk = webhook
      ? fc.oneof(
          fc.constantFrom(1024, 16 * 1024, 64 * 1024, 256 * 1024),
          fc.integer({ min: 512, max: 128 * 1024 }),
        )
      : fc.oneof(fc.constantFrom(1, 7, 512, 1024, 4096, 8192), fc.integer({ min: 1, max: 8192 }));
    const total = fc.oneof(
      { arbitrary: fc.integer({ min: cap + 1, max: 4 * cap }), weight: 4 },
      { arbitrary: fc.constantFrom(cap, cap + 1), weight: 2 },
      { arbitrary: fc.integer({ min: 0, max: cap }), weight: 2 },
    );
    const length = (size: number) =>
      fc.oneof(
        { arbitrary: fc.constant({ label: 'no length' }), weight: 4 },
        {
          arbitrary: fc
            .integer({ min: 0, max: cap })
            .map((n) => ({ label: 'length lies low', value: String(n) })),
          weight: 2,
        },
        {
          arbitrary: fc
            .integer({ min: cap + 1, max: 2 ** 40 })
            .map((n) => ({ label: 'length over the cap', value: String(n) })),
          weight: 2,
        },
        { arbitrary: fc.constant({ label: 'true length', value: String(size) }), weight: 1 },
        {
          arbitrary: fc
            .constantFrom(
              'abc',
              '-1',
              '1e309',
              '0x10',
              '',
              'NaN',
              '1.5',
              '9'.repeat(30),
              '00000000001',
              '1,1',
            )
            .map((value) => ({ label: 'junk length', value })),
          weight: 1,
        },
      );
    return fc
      .record({
        total,
        chunk,
        segment: fc.oneof(
          { arbitrary: fc.constant(tenant), weight: 8 },
          { arbitrary: fc.constantFrom('nobody', 'a%3Bb', '%00'), weight: 1 },
        ),
        rightType: fc.oneof(
          { arbitrary: fc.constant(true), weight: 8 },
          { arbitrary: fc.constant(false), weight: 1 },
        ),
        origin: fc.oneof(
          { arbitrary: fc.constant({ origin: FUZZ_ORIGIN }), weight: 8 },
          { arbitrary: fc.constant({ origin: 'https://evil.example' }), weight: 1 },
        ),
        client,
      })
      .chain((c) => length(c.total).map((declared) => ({ ...c, declared })))
      .map(({ total: size, chunk: piece, segment, rightType, origin, client, declared }) => {
        const type = webhook
          ? rightType
            ? 'application/json'
            : 'text/plain'
          : rightType
            ? form
            : 'multipart/form-data; boundary=fuzz';
        // The order the app checks in: the id's form, the origin of a form post, the tenant, the source,
        // the content type; only then is a byte read.
        const foreign = !webhook && origin.origin !== FUZZ_ORIGIN;
        const refusedUnread = !isTenantId(decodeSegment(segment))
          ? 404
          : foreign
            ? 403
            : segment !== tenant || route === 'webhooks/no-such-source'
              ? 404
              : rightType
                ? undefined
                : 415;
        const headers: Record<string, string> = {
          ...client,
          'content-type': type,
          ...(webhook ? {} : origin),
          ...('value' in declared ? { 'content-length': declared.value as string } : {}),
        };
        return {
          kind: `${webhook ? 'webhook' : route} ${size > cap ? 'over the cap' : 'within the cap'}, ${declared.label}${refusedUnread ? `, refused unread (${refusedUnread})` : ''}`,
          method: 'POST',
          path: `/t/${segment}/${route}`,
          headers,
          body: {
            streamed: true as const,
            total: size,
            chunk: piece,
            fill: webhook ? ('json' as const) : ('form' as const),
          },
          facts: { target: route, cap, ...(refusedUnread ? { refusedUnread } : {}) },
        };
      });
  });
}

// ——— hostile tenant ids on every tenant route ———

/**
 * Every route under `/t/:tenant/` with a tenant segment built to be refused, carrying what would open
 * the real tenant (its admin token, a session, a signed delivery), so only the id check stands between.
 */
export function hostileTenantCases(
  tenant: string,
  signers: readonly SourceSigner[],
  now: () => number,
): fc.Arbitrary<FuzzRequest> {
  const routes = [
    { method: 'GET', suffix: '/' },
    { method: 'HEAD', suffix: '/' },
    { method: 'GET', suffix: '' },
    { method: 'GET', suffix: '/status.json' },
    { method: 'GET', suffix: '/metrics' },
    { method: 'GET', suffix: '/healthz' },
    { method: 'GET', suffix: '/dashboard.js' },
    { method: 'GET', suffix: '/dashboard.css' },
    { method: 'POST', suffix: '/login' },
    { method: 'POST', suffix: '/logout' },
    ...signers.map((signer) => ({ method: 'POST', suffix: `/webhooks/${signer.source}` })),
  ];
  return fc
    .record({
      id: hostileSegment,
      route: fc.constantFrom(...routes),
      credential: fc.constantFrom('none', 'admin token', 'session', 'admin token + session'),
    })
    .map(({ id: { label, segment }, route, credential }) => {
      const headers: Record<string, string> = {
        ...(credential.includes('admin token') ? { authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` } : {}),
      };
      let body: string | undefined;
      if (route.suffix === '/login' || route.suffix === '/logout') {
        headers.origin = FUZZ_ORIGIN;
        headers['content-type'] = form;
        body = route.suffix === '/login' ? formToken(FUZZ_ADMIN_TOKEN) : '';
      } else if (route.suffix.startsWith('/webhooks/')) {
        const signer = signers.find((s) => route.suffix === `/webhooks/${s.source}`) as SourceSigner;
        body = signer.sample(now());
        Object.assign(
          headers,
          { 'content-type': 'application/json' },
          signer.sign(encoder.encode(body), now()),
        );
      }
      return {
        kind: `${label}: ${route.method} ${route.suffix || '(bare)'}`,
        method: route.method,
        path: `/t/${segment}${route.suffix}`,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(credential.includes('session') ? { session: { tenant, kind: 'valid' as const } } : {}),
      };
    });
}

/** Anything else: other methods, unknown tenants and sources, odd paths, and /healthz with junk headers. */
export function strayCases(tenant: string, sources: readonly string[]): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'),
      path: fc.oneof(
        fc.constant('/healthz'),
        fc.constantFrom(...sources).map((source) => `/t/${tenant}/webhooks/${source}`),
        fc
          .tuple(fc.string({ maxLength: 70 }), fc.string({ maxLength: 30 }))
          .map(([t, s]) => `/t/${encodeURIComponent(t)}/webhooks/${encodeURIComponent(s)}`),
        fc.string({ maxLength: 60 }).map((p) => `/${encodeURI(p)}`),
      ),
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 5 }),
      body: fc.option(anyBody, { nil: undefined }),
    })
    .map(({ method, path, headers, body }) => ({
      kind: 'unsigned',
      method,
      path,
      headers,
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    }))
    .filter((request) => !(request.method === 'POST' && request.path.startsWith(`/t/${tenant}/webhooks/`)));
}
