// Types of find-chromium.mjs (plain JavaScript, so that .ci/run can run it with any Node before `npm ci`).

export declare const CHROMIUM_VARIABLES: readonly string[];
export declare const CHROMIUM_NAMES: readonly string[];
export declare const CHROMIUM_PATHS: readonly string[];

/** The first executable among $CHROME_PATH, $CHROMIUM_PATH, CHROMIUM_NAMES on PATH and `paths`, and every path tried. */
export declare function findChromium(
  env?: Record<string, string | undefined>,
  paths?: readonly string[],
): { path: string | undefined; tried: string[] };

/** Why no chromium was found: every path tried, and how to get one. */
export declare function chromiumNotFound(tried: readonly string[]): string;
