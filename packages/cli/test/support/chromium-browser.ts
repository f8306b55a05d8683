import { type BrowserContext, chromium } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { chromiumNotFound, findChromium } from '../../../../scripts/find-chromium.mjs';
import { testFolder } from './temp-folder.ts';

// The system's chromium, found as .ci/run finds it (scripts/find-chromium.mjs): $CHROME_PATH,
// $CHROMIUM_PATH, chromium or Chrome on PATH, then the usual install paths. `.ci/run` installs Debian's
// chromium where none is found, so CI always has one.

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run here, or undefined when they can. Under `CI` they must run: a CI
 * without chromium fails them (launchChromium names every path tried) instead of skipping silently.
 */
export function chromiumMissing(
  env: NodeJS.ProcessEnv = process.env,
  paths?: readonly string[],
): string | undefined {
  const { path: found, tried } = findChromium(env, paths);
  if (found || env.CI) return undefined;
  return `dashboard browser test skipped (with CI set it runs and fails instead): ${chromiumNotFound(tried)}`;
}

/** A fresh headless chromium with its own new profile folder: no cookies or cache from an earlier run. */
export async function launchChromium(
  env: NodeJS.ProcessEnv = process.env,
  paths?: readonly string[],
): Promise<BrowserContext> {
  const { path: executablePath, tried } = findChromium(env, paths);
  if (!executablePath) throw new Error(chromiumNotFound(tried));
  // The profile goes when the test finishes, once chromium is closed (onTestFinished runs last-in first).
  const profile = await testFolder('factory-chromium-');
  let context: BrowserContext | undefined;
  onTestFinished(() => context?.close());
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1180, height: 860 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
  return context;
}
