import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median } from './stats.ts';

/** What a fresh Lambda instance costs, as medians over `runs` fresh `node` processes of each kind. */
export interface ColdStartFigures {
  runs: number;
  /** `import` of the bundle, timed inside the process: what Lambda's init phase runs. */
  importMs: number;
  /** A fresh `node` importing the bundle, start to exit. */
  processMs: number;
  /** The same `node` importing an empty module instead: what any Lambda instance pays. */
  bareProcessMs: number;
  /** `processMs − bareProcessMs`: the cold start that is ours (issue 23's goal). */
  overBareMs: number;
  /**
   * The import and the answer to a first request, timed inside another fresh process: init plus the
   * first invocation, which pays for what is loaded or compiled on first use (web Request, fetch, …).
   */
  firstAnswerMs?: number;
}

/**
 * One cold start: a fresh `node` imports the bundle as the Lambda runtime does and, given an event,
 * answers it through the `http` handler. No file is read and nothing else is imported, so a bare run
 * (an empty module, no event) measures the same process without the bundle.
 */
const HARNESS = `
const [url, event] = process.argv.slice(1);
const started = performance.now();
const handler = await import(url);
const imported = performance.now();
let status;
if (event) status = (await handler.http(JSON.parse(event))).statusCode;
process.stdout.write('\\n' + JSON.stringify({ importMs: imported - started, firstAnswerMs: performance.now() - started, status }));
process.exit(0);
`;

interface Run {
  importMs: number;
  firstAnswerMs: number;
  status?: number;
  processMs: number;
  log: string;
}

const execFileAsync = promisify(execFile);

/** Not synchronous: the loopback vendors and anything else the bench serves must keep answering. */
async function run(url: string, env: Record<string, string>, event?: unknown): Promise<Run> {
  const started = performance.now();
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--input-type=module', '-e', HARNESS, url, ...(event === undefined ? [] : [JSON.stringify(event)])],
    { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 },
  );
  const processMs = performance.now() - started;
  // The handler logs to stdout (JSON lines, as on CloudWatch); the harness's figures are the last line.
  const figures = stdout.slice(stdout.lastIndexOf('\n') + 1);
  const log = stdout.slice(0, stdout.length - figures.length);
  return { ...(JSON.parse(figures) as Omit<Run, 'processMs' | 'log'>), processMs, log };
}

/**
 * `runs` cold starts of `bundle`, each beside a bare one so a busy moment weighs on both; with an
 * `event` (one per run, so none is a duplicate), as many first answers, each of the status `expect`.
 */
export async function coldStarts(
  bundle: string,
  options: { runs: number; env: Record<string, string>; event?: (run: number) => unknown; expect?: number },
): Promise<ColdStartFigures> {
  const url = pathToFileURL(bundle).href;
  const imports: Run[] = [];
  const bare: Run[] = [];
  const answers: Run[] = [];
  for (let index = 0; index < options.runs; index++) {
    imports.push(await run(url, options.env));
    bare.push(await run('data:text/javascript,export {}', {}));
    if (!options.event) continue;
    const answered = await run(url, options.env, options.event(index));
    if (answered.status !== options.expect)
      throw new Error(
        `the cold start's first request answered ${answered.status}, not ${options.expect}:\n${answered.log}`,
      );
    answers.push(answered);
  }
  const processMs = median(imports.map((one) => one.processMs));
  const bareProcessMs = median(bare.map((one) => one.processMs));
  return {
    runs: options.runs,
    importMs: median(imports.map((one) => one.importMs)),
    processMs,
    bareProcessMs,
    overBareMs: processMs - bareProcessMs,
    ...(answers.length > 0 ? { firstAnswerMs: median(answers.map((one) => one.firstAnswerMs)) } : {}),
  };
}

/** An API Gateway HTTP API (payload 2.0) event of a POST, as the Lambda handler receives one. */
export function httpApiEvent(request: { path: string; headers: Record<string, string>; body: string }) {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: '',
    headers: {
      ...Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
      ),
      host: 'factory.execute-api.us-east-1.amazonaws.com',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'factory',
      domainName: 'factory.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'factory',
      http: {
        method: 'POST',
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: request.headers['user-agent'] ?? 'bench',
      },
      requestId: `bench-${now}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: request.body,
    isBase64Encoded: false,
  };
}
