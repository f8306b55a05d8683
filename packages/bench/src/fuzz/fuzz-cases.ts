import fc from 'fast-check';
import type { SourceSigner } from './source-signers.ts';

/** What a request is, and so what the app may answer and change. */
export type CaseKind =
  | 'unsigned'
  | 'wrong-signature'
  | 'stale'
  | 'signed-malformed'
  | 'non-utf8'
  | 'wrong-content-type'
  | 'huge-header';

export interface FuzzRequest {
  kind: CaseKind;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
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
export function webhookCases(tenant: string, signer: SourceSigner): fc.Arbitrary<FuzzRequest> {
  const path = `/t/${tenant}/webhooks/${signer.source}`;
  const now = Date.now();
  const sample = signer.sample(now);
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
  const signed = (body: string | Uint8Array, sentAt = Date.now(), secret?: string) => ({
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
      .map(([body, secret]) =>
        post('wrong-signature', signed(body, Date.now(), `not-the-secret${secret}`), body),
      ),
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
          const sentAt = Date.now() - skew;
          const body = signer.sample(sentAt);
          return post('stale', signed(body, sentAt), body);
        }),
    );
  }
  return fc.oneof(...cases);
}

/** Requests to the read-only dashboard: any tenant segment, any credentials. */
export function dashboardCases(
  tenant: string,
  route: '' | 'status.json' | 'metrics',
  adminToken: string,
): fc.Arbitrary<FuzzRequest & { authorised: boolean }> {
  const credential = fc.oneof(
    fc.constant({ header: {}, authorised: false }),
    fc.constant({ header: { authorization: `Bearer ${adminToken}` }, authorised: true }),
    headerValue.map((value) => ({ header: { authorization: `Bearer ${value}` }, authorised: false })),
    headerValue.map((value) => ({ header: { authorization: value }, authorised: false })),
    headerValue.map((value) => ({ header: { cookie: `factory_session=${value}` }, authorised: false })),
    fc.constant({ header: { cookie: `factory_session=${adminToken}` }, authorised: false }),
  );
  const tenantSegment = fc.oneof(fc.constant(tenant), fc.string({ maxLength: 80 }).map(encodeURIComponent));
  return fc
    .record({
      tenant: tenantSegment,
      credential,
      extra: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE'),
    })
    .map(({ tenant: segment, credential: { header, authorised }, extra, method }) => ({
      kind: 'unsigned',
      method,
      path: `/t/${segment}/${route}`,
      headers: { ...extra, ...header },
      authorised: authorised && segment === tenant && (method === 'GET' || method === 'HEAD'),
    }));
}

/** The login form: any body, any type, now and then the right token. */
export function loginCases(
  tenant: string,
  adminToken: string,
): fc.Arbitrary<FuzzRequest & { authorised: boolean }> {
  const body = fc.oneof(
    fc.constant({ body: `token=${encodeURIComponent(adminToken)}`, authorised: true }),
    printable.map((token) => ({ body: `token=${encodeURIComponent(token)}`, authorised: false })),
    anyBody.map((value) => ({ body: value, authorised: false })),
  );
  return fc
    .record({
      tenant: fc.oneof(fc.constant(tenant), fc.string({ maxLength: 40 }).map(encodeURIComponent)),
      body,
      type: fc.constantFrom('application/x-www-form-urlencoded', ...contentTypes),
    })
    .map(({ tenant: segment, body: { body: value, authorised }, type }) => ({
      kind: 'unsigned',
      method: 'POST',
      path: `/t/${segment}/login`,
      headers: { 'content-type': type },
      body: value,
      authorised: authorised && segment === tenant && type === 'application/x-www-form-urlencoded',
    }));
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
      kind: 'unsigned' as const,
      method,
      path,
      headers,
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    }))
    .filter((request) => !(request.method === 'POST' && request.path.startsWith(`/t/${tenant}/webhooks/`)));
}
