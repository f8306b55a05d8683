import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { VendorServer } from '../loopback/vendor-server.ts';
import { dashboardCases, type FuzzRequest, loginCases, strayCases, webhookCases } from './fuzz-cases.ts';
import { FUZZ_ADMIN_TOKEN, FUZZ_TENANT, type FuzzTenant, fuzzTenant } from './fuzz-tenant.ts';
import { SIGNERS } from './source-signers.ts';

export interface RouteReport {
  route: string;
  runs: number;
  /** How many requests of each kind got each status: shows the cases reached past the first check. */
  statuses: Record<string, number>;
  /** The shrunk failing request and what was wrong, when the property failed. */
  failure?: { seed: number; path: string; request: string; problem: string };
}

class Violation extends Error {}

/**
 * Every ingress route against random and nearly valid requests: never a 5xx or a crash, a 4xx for
 * anything not authentic, and no write (to the store or to a provider) from a request that was refused.
 */
export async function fuzzRoutes(options: { runs: number; seed: number }): Promise<RouteReport[]> {
  const dir = await mkdtemp(join(tmpdir(), 'factory-fuzz-'));
  const vendor = await new VendorServer().start();
  const crashes: string[] = [];
  const onCrash = (error: unknown) =>
    crashes.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  try {
    const tenant = fuzzTenant(join(dir, 'mount'), vendor.url);
    const reports: RouteReport[] = [];
    const run = async <T extends FuzzRequest>(route: string, cases: fc.Arbitrary<T>, check: Check<T>) => {
      const statuses: Record<string, number> = {};
      const details = await fc.check(
        fc.asyncProperty(cases, async (request) => {
          tenant.logger.lines.length = 0;
          const before = await tenant.snapshot();
          tenant.takeWrites();
          const built = buildRequest(request);
          fc.pre(built !== undefined);
          const response = await tenant.app.fetch(built as Request);
          const body = await response.text();
          const tally = `${request.kind} ${response.status}`;
          statuses[tally] = (statuses[tally] ?? 0) + 1;
          const writes = tenant.takeWrites();
          const changed = (await tenant.snapshot()) !== before;
          if (crashes.length > 0) throw new Violation(`crash: ${crashes.join('\n')}`);
          if (response.status >= 500)
            throw new Violation(`answered ${response.status}: ${body.slice(0, 300)}`);
          check(
            request,
            { status: response.status, body, headers: response.headers },
            { writes, changed, tenant },
          );
        }),
        { numRuns: options.runs, seed: options.seed, endOnFailure: false },
      );
      const counterexample = details.counterexample?.[0] as FuzzRequest | undefined;
      reports.push({
        route,
        runs: details.numRuns,
        statuses: Object.fromEntries(Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b))),
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
          : {}),
      });
    };

    for (const signer of SIGNERS) {
      await run(
        `POST /t/:tenant/webhooks/${signer.source}`,
        webhookCases(FUZZ_TENANT, signer),
        (request, answer, effect) => {
          const refused = answer.status >= 400;
          if (request.kind !== 'signed-malformed' && !refused)
            throw new Violation(
              `a ${request.kind} request was accepted with ${answer.status}: ${answer.body.slice(0, 200)}`,
            );
          if (refused) noChange(effect, answer.status);
        },
      );
    }
    for (const route of ['', 'status.json', 'metrics'] as const) {
      await run(
        `GET /t/:tenant/${route}`,
        dashboardCases(FUZZ_TENANT, route, FUZZ_ADMIN_TOKEN),
        (request, answer, effect) => {
          noChange(effect, answer.status);
          if (answer.status === 200 && !request.authorised)
            throw new Violation('the dashboard answered 200 without the admin token');
          if (request.authorised && answer.status !== 200)
            throw new Violation(`the right admin token got ${answer.status}`);
          if (answer.body.includes(FUZZ_ADMIN_TOKEN)) throw new Violation('the admin token is in the answer');
        },
      );
    }
    await run(
      'POST /t/:tenant/login',
      loginCases(FUZZ_TENANT, FUZZ_ADMIN_TOKEN),
      (request, answer, effect) => {
        noChange(effect, answer.status);
        if (answer.status === 303 && !request.authorised)
          throw new Violation('login succeeded without the admin token');
        if (request.authorised && answer.status !== 303)
          throw new Violation(`the right admin token got ${answer.status}`);
        if ((answer.headers.get('set-cookie') ?? '').includes(FUZZ_ADMIN_TOKEN))
          throw new Violation('the session cookie holds the admin token itself');
      },
    );
    await run(
      'GET /healthz, other methods, unknown tenants, sources and paths',
      strayCases(FUZZ_TENANT, tenant.sources),
      (request, answer, effect) => {
        noChange(effect, answer.status);
        if (request.path === '/healthz' && request.method === 'GET' && answer.status !== 200)
          throw new Violation(`GET /healthz answered ${answer.status}`);
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

type Check<T> = (
  request: T,
  answer: { status: number; body: string; headers: Headers },
  effect: { writes: ReturnType<FuzzTenant['takeWrites']>; changed: boolean; tenant: FuzzTenant },
) => void;

function noChange(
  effect: { writes: ReturnType<FuzzTenant['takeWrites']>; changed: boolean },
  status: number,
): void {
  const stored = Object.keys(effect.writes.store);
  if (stored.length > 0 || effect.writes.outgoing > 0 || effect.changed)
    throw new Violation(
      `answered ${status} but changed state: store writes ${JSON.stringify(effect.writes.store)}, provider writes ${effect.writes.outgoing}, snapshot ${effect.changed ? 'changed' : 'same'}`,
    );
}

/** The Request the app gets; undefined when the platform itself refuses to build it (not the app's doing). */
function buildRequest(request: FuzzRequest): Request | undefined {
  try {
    return new Request(`http://127.0.0.1${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body as BodyInit } : {}),
    });
  } catch {
    return undefined;
  }
}

function describe(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : typeof request.body === 'string'
        ? JSON.stringify(request.body.slice(0, 4000))
        : `bytes[${request.body.length}] ${Buffer.from(request.body.slice(0, 64)).toString('hex')}`;
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      value.length > 120 ? `${value.slice(0, 40)}…(${value.length} chars)` : value,
    ]),
  );
  return `${request.kind}: ${request.method} ${request.path} headers=${JSON.stringify(headers)} body=${body}`;
}
