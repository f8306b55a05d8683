import { describe, expect, it } from 'vitest';
import { fuzzRoutes } from '../src/fuzz/fuzz-routes.ts';
import { parseFuzzArgs } from '../src/fuzz.ts';

describe('the ingress fuzzer (a small run of npm run fuzz)', () => {
  it('finds no 5xx, no crash and no change from a refused request on any route', async () => {
    const reports = await fuzzRoutes({ runs: 300, seed: 424242 });
    const routes = reports.map((report) => report.route);
    for (const source of ['linear', 'slack', 'github', 'relayfile', 'fleet'])
      expect(routes).toContain(`POST /t/:tenant/webhooks/${source}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /t/:tenant/',
        'GET /t/:tenant/status.json',
        'GET /t/:tenant/metrics',
        'POST /t/:tenant/login',
      ]),
    );
    expect(reports.filter((report) => report.failure).map((report) => report.failure)).toEqual([]);
    for (const report of reports) expect(report.runs).toBe(300);
  });

  it('reaches past the signature check: signed but malformed deliveries get their own 4xx', async () => {
    const [linear] = await fuzzRoutes({ runs: 300, seed: 7 });
    const outcomes = Object.keys(linear?.statuses ?? {});
    expect(outcomes).toEqual(
      expect.arrayContaining(['signed-malformed 400', 'stale 401', 'wrong-signature 401']),
    );
    expect(outcomes).toEqual(expect.arrayContaining(['non-utf8 400', 'wrong-content-type 415']));
  });

  it('refuses bad arguments with a message naming the flag', () => {
    expect(() => parseFuzzArgs(['--runs', 'many'])).toThrow(
      '--runs must be a whole number of at least 1, got "many"',
    );
    expect(() => parseFuzzArgs(['--runs', '0'])).toThrow('--runs');
    expect(() => parseFuzzArgs(['--seed', '1.5'])).toThrow('--seed must be an integer, got "1.5"');
    expect(() => parseFuzzArgs(['--speed', '3'])).toThrow(/speed/);
    expect(parseFuzzArgs(['--runs', '5', '--seed', '9'])).toEqual({ runs: 5, seed: 9 });
  });
});
