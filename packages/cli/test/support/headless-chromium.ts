import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`); `.ci/run` installs it, so CI always has it. */
export const CHROMIUM = '/usr/bin/chromium';

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
 * without chromium fails them instead of skipping silently.
 */
export function chromiumMissing(
  env: NodeJS.ProcessEnv = process.env,
  executable = CHROMIUM,
): string | undefined {
  if (existsSync(executable) || env.CI) return undefined;
  return `dashboard browser test skipped: ${executable} is not installed (apt-get install chromium); with CI set it runs and fails instead`;
}

/** A fresh headless chromium with its own new profile folder: no cookies or cache from an earlier run. */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is not installed: apt-get install -y --no-install-recommends chromium`);
  const profile = await mkdtemp(path.join(tmpdir(), 'factory-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1180, height: 860 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
}
