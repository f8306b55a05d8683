import { describe, expect, it } from 'vitest';
import { fuzzRoutes } from '../src/fuzz/fuzz-routes.ts';
import { parseFuzzArgs } from '../src/fuzz.ts';

describe('the ingress fuzzer (a small run of npm run fuzz)', () => {
  it('finds no 5xx, crash, leak or forbidden write on any route, with the admin throttle on', async () => {
    const reports = await fuzzRoutes({ runs: 300, seed: 424242 });
    const routes = reports.map((report) => report.route);
    for (const source of ['linear', 'slack', 'github', 'relayfile', 'fleet'])
      expect(routes).toContain(`POST /t/:tenant/webhooks/${source}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /t/:tenant/',
        'GET /t/:tenant/status.json',
        'GET /t/:tenant/metrics',
        'GET /t/:tenant/healthz',
        'GET /t/:tenant/plots',
        'GET /t/:tenant/plots.json',
        'GET /t/:tenant/items/:id',
        'GET /t/:tenant/items/:id/history.json',
        'GET /t/:tenant/dashboard.js',
        'GET /t/:tenant/dashboard.css',
        'POST /t/:tenant/login',
        'POST /t/:tenant/logout',
        'GET /healthz (anonymous and operator token)',
        'streamed bodies over the cap (webhooks, login, logout)',
        'hostile tenant ids on every /t/:tenant/ route',
      ]),
    );
    expect(reports.filter((report) => report.failure).map((report) => report.failure)).toEqual([]);
    for (const report of reports) {
      expect(report.runs).toBe(300);
      expect(report.memory.collected).toBe(true);
      expect(report.memory.heapBytes + report.memory.externalBytes).toBeLessThan(report.memory.boundBytes);
    }

    // Both sides of the throttle are reached: the right token gets in, and a running wait refuses it.
    const byRoute = Object.fromEntries(reports.map((report) => [report.route, report]));
    const login = Object.keys(byRoute['POST /t/:tenant/login']?.statuses ?? {});
    expect(login).toEqual(expect.arrayContaining(['admin token 303', 'admin token 429', 'wrong token 401']));
    const health = byRoute['GET /healthz (anonymous and operator token)']?.statuses ?? {};
    expect(Object.keys(health)).toEqual(expect.arrayContaining(['anonymous 200', 'operator token 200']));
    const status = Object.keys(byRoute['GET /t/:tenant/status.json']?.statuses ?? {});
    expect(status).toEqual(
      expect.arrayContaining([
        'session 200',
        'revoked session 401',
        'tampered session 401',
        'admin token 200',
      ]),
    );
    // The dashboard's views were reached with input they take and input they refuse.
    const plots = byRoute['GET /t/:tenant/plots.json']?.byStatus ?? {};
    expect(Object.keys(plots)).toEqual(expect.arrayContaining(['200', '400', '401']));
    const item = byRoute['GET /t/:tenant/items/:id']?.byStatus ?? {};
    expect(Object.keys(item)).toEqual(expect.arrayContaining(['404', '401']));
    // Streamed bodies were refused at the cap, and others refused before a byte was read.
    const bodies = byRoute['streamed bodies over the cap (webhooks, login, logout)']?.byStatus ?? {};
    expect(bodies['413']).toBeGreaterThan(50);
    expect(bodies['415']).toBeGreaterThan(0);
    // Every hostile id but those the URL parser turns into another path is a 404.
    const hostile = byRoute['hostile tenant ids on every /t/:tenant/ route']?.byStatus ?? {};
    expect(hostile['404']).toBeGreaterThan(250);
    // 25 routes of 300 cases: about 40 s alone on 2 cores, more beside other test files.
  }, 150_000);

  it('reaches past the signature check: signed but malformed deliveries get their own 4xx', async () => {
    const [linear] = await fuzzRoutes({ runs: 300, seed: 7, routes: ['webhooks/linear'] });
    expect(linear?.route).toBe('POST /t/:tenant/webhooks/linear');
    const outcomes = Object.keys(linear?.statuses ?? {});
    expect(outcomes).toEqual(
      expect.arrayContaining(['signed-malformed 400', 'stale 401', 'wrong-signature 401']),
    );
    expect(outcomes).toEqual(expect.arrayContaining(['non-utf8 400', 'wrong-content-type 415']));
  }, 30_000);

  it('sees a planted fault: a write from a refused request, memory kept by every request, bodies read whole', async () => {
    const [written] = await fuzzRoutes({
      runs: 100,
      seed: 1,
      routes: ['status.json'],
      sabotage: 'write-when-refused',
    });
    expect(written?.failure?.problem).toMatch(/^answered 401 but wrote putDocument\(fuzz, planted\)/);
    const [kept] = await fuzzRoutes({ runs: 200, seed: 1, routes: ['status.json'], sabotage: 'keep-memory' });
    expect(kept?.failure?.problem).toMatch(/^the run left .* behind, more than 8\.0 MiB$/);
    const [buffered] = await fuzzRoutes({
      runs: 100,
      seed: 1,
      routes: ['streamed'],
      sabotage: 'buffer-bodies',
    });
    expect(buffered?.failure?.problem).toMatch(/had \d+ bytes read|read \d+ bytes of an oversized body/);
  }, 30_000);

  it('refuses bad arguments with a message naming the flag', () => {
    expect(() => parseFuzzArgs(['--runs', 'many'])).toThrow(
      '--runs must be a whole number of at least 1, got "many"',
    );
    expect(() => parseFuzzArgs(['--runs', '0'])).toThrow('--runs');
    expect(() => parseFuzzArgs(['--seed', '1.5'])).toThrow('--seed must be an integer, got "1.5"');
    expect(() => parseFuzzArgs(['--speed', '3'])).toThrow(/speed/);
    expect(parseFuzzArgs(['--runs', '5', '--seed', '9'])).toEqual({
      runs: 5,
      seed: 9,
      routes: [],
      verbose: false,
    });
    expect(
      parseFuzzArgs(['--route', 'login', '--route', 'logout', '--verbose', '--seed', '1']),
    ).toMatchObject({
      routes: ['login', 'logout'],
      verbose: true,
    });
  });
});
