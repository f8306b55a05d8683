#!/usr/bin/env node
// Finds a chromium (or Chrome) to drive headless: `node scripts/find-chromium.mjs` prints its path, or
// exits 1 naming every path it tried. One finder for .ci/run (which runs it with the system's node,
// before `npm ci`: plain JavaScript for Node 18 and later, nothing installed) and for the dashboard's
// browser test, which imports findChromium.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Variables that name the browser to use; each is tried first, in this order. */
export const CHROMIUM_VARIABLES = ['CHROME_PATH', 'CHROMIUM_PATH'];

/** Program names looked for on PATH, in this order. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Where chromium usually is when it is not on PATH (Debian, snap, macOS). */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

function isExecutableFile(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first executable among $CHROME_PATH, $CHROMIUM_PATH, CHROMIUM_NAMES on PATH and `paths`, and
 * every path tried (up to and including the one found), in order.
 *
 * @param {Record<string, string | undefined>} [env]
 * @param {readonly string[]} [paths]
 * @returns {{ path: string | undefined; tried: string[] }}
 */
export function findChromium(env = process.env, paths = CHROMIUM_PATHS) {
  const tried = [];
  const candidates = [];
  for (const name of CHROMIUM_VARIABLES) if (env[name]) candidates.push(env[name]);
  const folders = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of CHROMIUM_NAMES) for (const folder of folders) candidates.push(join(folder, name));
  candidates.push(...paths);
  for (const candidate of candidates) {
    if (tried.includes(candidate)) continue;
    tried.push(candidate);
    if (isExecutableFile(candidate)) return { path: candidate, tried };
  }
  return { path: undefined, tried };
}

/**
 * Why no chromium was found: every path tried, and how to get one.
 *
 * @param {readonly string[]} tried
 * @returns {string}
 */
export function chromiumNotFound(tried) {
  return [
    `no chromium found; tried ${tried.length} path(s):`,
    ...tried.map((path) => `  ${path}`),
    'Install it (apt-get install -y --no-install-recommends chromium) or set CHROME_PATH to its executable.',
  ].join('\n');
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const { path, tried } = findChromium();
  if (path) {
    process.stdout.write(`${path}\n`);
  } else {
    process.stderr.write(`${chromiumNotFound(tried)}\n`);
    process.exitCode = 1;
  }
}
