// Types of loopback-guard.mjs (plain JavaScript, loaded by every Node child of a test).

export declare const REFUSED_REPORT_VARIABLE: string;

/** The Node option that has a process load the children's guard (`loopback-only-children.mjs`) first. */
export declare function childGuardOption(): string;

/** What keeps the tools tests run from calling home (wrangler's update check and metrics). */
export declare const QUIET_TOOLS: Readonly<Record<string, string>>;

/** `env` with the children's guard in its `NODE_OPTIONS`, the report file and `QUIET_TOOLS`, in a test run. */
export declare function withLoopbackGuard<T extends Record<string, string | undefined>>(
  env: T,
): T & { NODE_OPTIONS?: string };

/** Whether a host a socket connects to is this machine. */
export declare function isLoopbackHost(host: string): boolean;

/** From now on, a socket connecting elsewhere than this machine is destroyed, and `refused` hears of it. */
export declare function refuseConnectionsElsewhere(refused: (destination: string) => void): void;
