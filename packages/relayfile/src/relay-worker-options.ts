import * as z from 'zod/mini';
import { pathGlobProblem } from './path-glob.ts';

const httpUrl = (what: string) =>
  z.string().check(
    z.refine(
      (value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search;
        } catch {
          return false;
        }
      },
      { message: `${what} must be an http(s) URL without a query string` },
    ),
  );

/** The relay worker's options; plain values, so a CLI, a config file or a test can give them. */
export const relayWorkerOptionsSchema = z
  .strictObject({
    /** relayfile workspace id. */
    workspace: z.string().check(z.minLength(1, 'workspace is required')),
    /** relayfile bearer token (sent in the WebSocket URL as relayfile requires; never logged). */
    token: z.string().check(z.minLength(1, 'token is required')),
    /** relayfile API base URL. */
    baseUrl: httpUrl('baseUrl'),
    /** The factory's `/t/<tenant>/webhooks/relayfile` URL. */
    handlerUrl: httpUrl('handlerUrl'),
    /** The secret deliveries are signed with, as relayfile signs webhooks. Never logged. */
    secret: z.string().check(z.minLength(16, 'secret must be at least 16 characters')),
    /** Where the position in the event stream is kept. */
    cursorFile: z.string().check(z.minLength(1, 'cursorFile is required')),
    /** The paths whose changes are relayed. */
    pathGlobs: z.array(z.string()).check(
      z.minLength(1, 'at least one path glob is required'),
      z.superRefine((globs, context) => {
        for (const glob of globs) {
          const problem = pathGlobProblem(glob);
          if (problem) context.addIssue({ code: 'custom', message: problem });
        }
      }),
    ),
    /** The `/healthz` port; 0 picks a free one. */
    port: z.int().check(z.minimum(0), z.maximum(65_535)),
    host: z._default(z.string().check(z.minLength(1)), '127.0.0.1'),
    /** Consecutive failed WebSocket connections before the worker polls `fs/events` instead. */
    wsErrorThreshold: z._default(z.int().check(z.positive()), 5),
    /** First retry delay of a failed delivery or connection; doubles up to `retryMaxMs`. */
    retryInitialMs: z._default(z.int().check(z.positive()), 500),
    retryMaxMs: z._default(z.int().check(z.positive()), 30_000),
    /** How often `fs/events` is read while polling. */
    pollIntervalMs: z._default(z.int().check(z.positive()), 5_000),
    /** How often, while polling, the worker tries the WebSocket again. */
    reprobeIntervalMs: z._default(z.int().check(z.positive()), 30_000),
    /** How long one delivery may take before it counts as failed. */
    requestTimeoutMs: z._default(z.int().check(z.positive()), 10_000),
  })
  .check(
    z.refine((options) => options.retryInitialMs <= options.retryMaxMs, {
      message: 'retryInitialMs must not exceed retryMaxMs',
      path: ['retryInitialMs'],
    }),
  );

export type RelayWorkerOptionsInput = z.input<typeof relayWorkerOptionsSchema>;
export type RelayWorkerOptions = z.output<typeof relayWorkerOptionsSchema>;

export class RelayWorkerOptionsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid relay worker options: ${problems.join('; ')}`);
    this.name = 'RelayWorkerOptionsError';
    this.problems = problems;
  }
}

/** Validated options with defaults; throws RelayWorkerOptionsError naming every bad field (never its value). */
export function resolveRelayWorkerOptions(input: unknown): RelayWorkerOptions {
  const parsed = relayWorkerOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new RelayWorkerOptionsError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`),
  );
}
