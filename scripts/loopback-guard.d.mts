// Types of loopback-guard.mjs (plain JavaScript, loaded by every Node child of a test).

export declare const REFUSED_REPORT_VARIABLE: string;

/**
 * `env` with the children's guard (`loopback-only-children.mjs`) in its `NODE_OPTIONS`, the report file,
 * and what keeps wrangler from calling home, in a test run.
 */
export declare function withLoopbackGuard<T extends Record<string, string | undefined>>(
  env: T,
): T & { NODE_OPTIONS?: string };

/** Whether a host a socket connects to is this machine. */
export declare function isLoopbackHost(host: string): boolean;

/** From now on, a socket connecting elsewhere than this machine is destroyed, and `refused` hears of it. */
export declare function refuseConnectionsElsewhere(refused: (destination: string) => void): void;
