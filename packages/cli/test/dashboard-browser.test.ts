import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TenantStatus } from '@software-factory/sdk';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chromiumNotFound, findChromium } from '../../../scripts/find-chromium.mjs';
import { answerQuestion, askedQuestions } from '../src/demo/demo-person.ts';
import { DEMO_WORK_ITEMS, type DemoWorkItem, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { chromiumMissing, launchChromium } from './support/chromium-browser.ts';
import { DemoCodeHost } from './support/demo-code-host.ts';
import { eventually, FactoryProcess, runFactory } from './support/factory-process.ts';
import { issueFile, relayfileEnv, startRelayfile, writeRelayfileConfig } from './support/relayfile-config.ts';
import { testFolder } from './support/temp-folder.ts';

const ADMIN_TOKEN = 'dashboard-admin-token-for-the-browser-test';
const SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));
const [CLEAR, VAGUE, QUEUED] = DEMO_WORK_ITEMS as [DemoWorkItem, DemoWorkItem, DemoWorkItem];
// Every wait is for something on the page; this bounds each one, the test's timeout bounds them all.
const STEP_MS = 30_000;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;

const missing = chromiumMissing();
if (missing) console.warn(missing);

let factory: FactoryProcess | undefined;
let browser: BrowserContext | undefined;
let codeHost: DemoCodeHost | undefined;

afterEach(async () => {
  await browser?.close();
  if (factory) {
    factory.kill('SIGTERM');
    await factory.exited;
  }
  await codeHost?.killAgents();
  factory = undefined;
  browser = undefined;
  codeHost = undefined;
});

/** The row of `item` in the dashboard section `section` (in-flight, queued, waiting, done, …). */
const row = (page: Page, section: string, item: DemoWorkItem) =>
  page.locator(`#${section} tr[data-item="${item.id}"]`);

/** The text of the row's `index`-th cell (0: key, 1: title, then the section's own columns). */
async function cell(page: Page, section: string, item: DemoWorkItem, index: number): Promise<string> {
  const row_ = row(page, section, item);
  await row_.waitFor();
  return ((await row_.locator(':scope > td').nth(index).textContent()) ?? '').trim();
}

/** Signs in at the dashboard's form, which is on the page, and lands on the dashboard. */
async function signIn(page: Page, dashboardUrl: string): Promise<void> {
  await page.fill('input[name="token"]', ADMIN_TOKEN);
  const [signedIn] = await Promise.all([
    page.waitForResponse(
      (response) => response.url() === dashboardUrl && response.request().method() === 'GET',
    ),
    page.click('button[type="submit"]'),
  ]);
  expect(signedIn.status()).toBe(200);
  expect(page.url()).toBe(dashboardUrl);
}

describe.skipIf(missing !== undefined)('the dashboard in a real browser', () => {
  it('follows the demo scenario of `factory start --mount` behind the admin token, step by step', async () => {
    const cwd = await testFolder('factory-dashboard-');
    const mountDir = path.join(cwd, 'workspace');
    await mkdir(mountDir);
    // Written before the factory starts, as the demo does: taken in order, the third waits for the slot.
    for (const item of DEMO_WORK_ITEMS) await writeWorkItem(mountDir, item);
    factory = new FactoryProcess(['start', '--mount', 'workspace', '--port', '0'], {
      cwd,
      env: {
        FACTORY_ADMIN_TOKEN: ADMIN_TOKEN,
        // The agents take their time: an item stays in flight until the test opens its pull request.
        FACTORY_DEMO_AGENT_DELAY_MS: '600000',
      },
    });
    codeHost = new DemoCodeHost(mountDir, path.join(cwd, '.factory', 'fleet'));
    const url = await factory.url();
    const dashboardUrl = `${url}/t/local/`;

    // The work is there before anyone signs in (a script reads it with the bearer token).
    await eventually(async () => {
      const response = await fetch(`${url}/t/local/status.json`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const status = (await response.json()) as TenantStatus;
      return status.inFlight.length === 1 && status.queued.length === 1 && status.waiting.length === 1
        ? true
        : undefined;
    });

    browser = await launchChromium();
    const page = await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    // No token: the sign-in form, and nothing of the tenant's work.
    const signedOut = await page.goto(dashboardUrl);
    expect(signedOut?.status()).toBe(401);
    await page.locator('form[action="/t/local/login"] input[name="token"][type="password"]').waitFor();
    expect(await page.locator('#content').count()).toBe(0);
    const loginHtml = await page.content();
    for (const item of DEMO_WORK_ITEMS) {
      expect(loginHtml).not.toContain(item.key);
      expect(loginHtml).not.toContain(item.title);
    }

    // A wrong token is turned away, and no session is given.
    await page.fill('input[name="token"]', 'not-the-admin-token');
    const [rejected] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${url}/t/local/login`),
      page.click('button[type="submit"]'),
    ]);
    expect(rejected.status()).toBe(401);
    await page.getByText('wrong admin token').waitFor();
    expect(await page.locator('#content').count()).toBe(0);
    expect(await page.content()).not.toContain(CLEAR.key);
    expect(await browser.cookies()).toEqual([]);

    // The right token: an HttpOnly session cookie that is not the token, and the dashboard.
    await signIn(page, dashboardUrl);
    const [session, ...otherCookies] = await browser.cookies();
    expect(otherCookies).toEqual([]);
    expect(session).toMatchObject({
      name: 'factory_session',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/t/local/',
    });
    expect(session?.value).not.toContain(ADMIN_TOKEN);

    // DEMO-1 is in flight with its agent, DEMO-3 waits first in the queue, DEMO-2 waits for an answer.
    const firstAgent = await cell(page, 'in-flight', CLEAR, 2);
    expect(firstAgent).toMatch(/^local-[0-9a-f]{24}$/);
    expect(await cell(page, 'queued', QUEUED, 2)).toBe('1');
    expect(await cell(page, 'waiting', VAGUE, 1)).toBe(VAGUE.title);
    // Asked, with a deadline. A plain folder gives the question no URL, so its link is specified over
    // relayfile below.
    expect(await cell(page, 'waiting', VAGUE, 3)).toMatch(TIMESTAMP);
    expect(await cell(page, 'waiting', VAGUE, 4)).toMatch(TIMESTAMP);

    // A person answers in the thread: DEMO-2 joins the queue behind DEMO-3 (the page refreshes itself).
    const [question] = (await askedQuestions(mountDir, DEMO_WORK_ITEMS)).filter(
      (asked) => asked.key === VAGUE.key,
    );
    if (!question) throw new Error('the factory asked nothing about DEMO-2');
    await answerQuestion(mountDir, question, VAGUE.answer ?? '');
    await row(page, 'queued', VAGUE).waitFor();
    expect(await cell(page, 'queued', VAGUE, 2)).toBe('2');
    await page.locator('#waiting td.empty').waitFor();

    // Each pull request that leaves draft completes its item and gives the slot to the next in the queue.
    const pulls = new Map<string, string>();
    pulls.set(CLEAR.id, await codeHost.openPullRequest(firstAgent, 101));
    await row(page, 'done', CLEAR).waitFor();
    const secondAgent = await cell(page, 'in-flight', QUEUED, 2);
    expect(secondAgent).toMatch(/^local-[0-9a-f]{24}$/);
    expect(secondAgent).not.toBe(firstAgent);
    expect(await cell(page, 'queued', VAGUE, 2)).toBe('1');

    pulls.set(QUEUED.id, await codeHost.openPullRequest(secondAgent, 103));
    await row(page, 'done', QUEUED).waitFor();
    const thirdAgent = await cell(page, 'in-flight', VAGUE, 2);
    expect(thirdAgent).toMatch(/^local-[0-9a-f]{24}$/);
    pulls.set(VAGUE.id, await codeHost.openPullRequest(thirdAgent, 102));
    await row(page, 'done', VAGUE).waitFor();

    // All three in recently done, each with its pull request; nothing left anywhere else.
    for (const item of DEMO_WORK_ITEMS) {
      const link = row(page, 'done', item).locator(`a[href="${pulls.get(item.id)}"]`);
      expect(await link.textContent()).toBe('pull request');
    }
    for (const section of ['in-flight', 'queued', 'waiting', 'failed'])
      await page.locator(`#${section} td.empty`).waitFor();

    // DEMO-2's timeline: every step it went through, and it stays open across the page's refresh.
    const details = row(page, 'done', VAGUE).locator('details');
    await details.locator('summary').click();
    const steps = details.locator('ol.timeline li b');
    await steps.first().waitFor();
    expect(await steps.allTextContents()).toEqual(
      expect.arrayContaining(['waiting-clarification', 'queued', 'dispatched', 'done']),
    );
    const generated = (await page.locator('#generated').textContent()) ?? '';
    await page.waitForFunction(
      (before) => document.getElementById('generated')?.textContent !== before,
      generated,
      { timeout: STEP_MS },
    );
    expect(await row(page, 'done', VAGUE).locator('details').getAttribute('open')).toBe('');

    const shot = path.join(cwd, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
    // The committed screenshot changes only when asked for, so a test run leaves the checkout clean.
    if (process.env.UPDATE_DASHBOARD_SCREENSHOT) await copyFile(shot, SCREENSHOT);

    // The token went in a form body and a header, never in a URL; the server never logged it.
    expect(requested.filter((requestUrl) => requestUrl.includes(ADMIN_TOKEN))).toEqual([]);
    expect(factory.stdout + factory.stderr).not.toContain(ADMIN_TOKEN);
  }, 180_000);
  it('links a question asked through relayfile to its thread', async () => {
    const relayfile = await startRelayfile();
    try {
      const env = { ...relayfileEnv({ '': relayfile }), FACTORY_ADMIN_TOKEN: ADMIN_TOKEN };
      const config = await writeRelayfileConfig([{ id: 'acme', server: relayfile, adminToken: true }]);
      factory = new FactoryProcess(['start', '--config', config.file], { cwd: config.dir, env });
      const url = await factory.url();
      // The factory listens on 127.0.0.1, which relayfile's cloud refuses; the loopback relayfile takes it.
      const subscribed = await runFactory(
        ['subscribe', '--config', config.file, '--url', url, '--allow-insecure-url'],
        {
          cwd: config.dir,
          env,
        },
      );
      expect(subscribed.code).toBe(0);
      const vague = issueFile({
        id: 'item-vague',
        number: 7,
        title: 'Make search better',
        description: 'Search feels off.',
      });
      relayfile.putFile(vague.path, vague.content);

      browser = await launchChromium();
      const page = await browser.newPage();
      page.setDefaultTimeout(STEP_MS);
      const dashboardUrl = `${url}/t/acme/`;
      expect((await page.goto(dashboardUrl))?.status()).toBe(401);
      await signIn(page, dashboardUrl);
      // relayfile's write-back gave the question its message URL; the page links to it.
      const link = page.locator('#waiting tr[data-item="item-vague"] a', { hasText: 'thread' });
      await link.waitFor();
      const [question] = relayfile.paths('/slack/channels/C111__general/messages/');
      expect(await link.getAttribute('href')).toBe(relayfile.json(question ?? '')?.url);
      expect(await link.getAttribute('href')).toMatch(
        /^https:\/\/slack\.example\/archives\/C111__general\/p\d+$/,
      );
    } finally {
      await relayfile.stop();
    }
  }, 120_000);
});

describe('the browser test itself', () => {
  const FINDER = fileURLToPath(new URL('../../../scripts/find-chromium.mjs', import.meta.url));
  const NOWHERE = ['/nonexistent/chromium'];
  let folder = '';
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'factory-find-chromium-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  /** A folder for PATH holding the given files, executable unless their name ends in `.txt`. */
  function binFolder(name: string, files: string[]): string {
    const bin = path.join(folder, name);
    mkdirSync(bin);
    for (const file of files) {
      const target = path.join(bin, file.replace(/\.txt$/, ''));
      writeFileSync(target, '#!/bin/sh\nexit 0\n');
      chmodSync(target, file.endsWith('.txt') ? 0o644 : 0o755);
    }
    return bin;
  }

  it('finds chromium as .ci/run does: $CHROME_PATH, $CHROMIUM_PATH, then each name on PATH, then the usual paths', () => {
    const empty = binFolder('empty', []);
    const bin = binFolder('bin', ['chromium.txt', 'chromium-browser', 'google-chrome']);
    const PATH = [empty, bin].join(path.delimiter);
    // A chromium that is not executable is passed over; names are tried in order, each along PATH.
    expect(findChromium({ PATH }, NOWHERE)).toEqual({
      path: path.join(bin, 'chromium-browser'),
      tried: [
        path.join(empty, 'chromium'),
        path.join(bin, 'chromium'),
        path.join(empty, 'chromium-browser'),
        path.join(bin, 'chromium-browser'),
      ],
    });
    const chosen = path.join(binFolder('chosen', ['chrome']), 'chrome');
    expect(findChromium({ PATH, CHROMIUM_PATH: chosen }, NOWHERE).path).toBe(chosen);
    expect(findChromium({ PATH, CHROME_PATH: chosen, CHROMIUM_PATH: '/x' }, NOWHERE).path).toBe(chosen);
    // One that names nothing is passed over too.
    expect(findChromium({ PATH, CHROME_PATH: '/nonexistent/chrome' }, NOWHERE).tried[0]).toBe(
      '/nonexistent/chrome',
    );
    // The usual paths come last.
    expect(findChromium({ PATH: empty }, [path.join(bin, 'google-chrome')]).path).toBe(
      path.join(bin, 'google-chrome'),
    );
  });

  it('found nowhere: the error names every path tried', async () => {
    const empty = binFolder('empty', []);
    const env = { PATH: empty, CHROME_PATH: '/nonexistent/chrome' };
    const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
    const tried = ['/nonexistent/chrome', ...names.map((name) => path.join(empty, name)), ...NOWHERE];
    expect(findChromium(env, NOWHERE)).toEqual({ path: undefined, tried });
    const message = chromiumNotFound(tried);
    expect(message).toBe(
      [
        'no chromium found; tried 6 path(s):',
        ...tried.map((tried) => `  ${tried}`),
        'Install it (apt-get install -y --no-install-recommends chromium) or set CHROME_PATH to its executable.',
      ].join('\n'),
    );
    await expect(launchChromium(env, NOWHERE)).rejects.toThrow(message);
  });

  it('node scripts/find-chromium.mjs prints the path it finds', () => {
    const bin = binFolder('bin', ['google-chrome-stable']);
    const found = spawnSync(process.execPath, [FINDER], { env: { PATH: bin }, encoding: 'utf8' });
    expect(found.stderr).toBe('');
    expect(found.stdout).toBe(`${path.join(bin, 'google-chrome-stable')}\n`);
    expect(found.status).toBe(0);
  });

  it('is skipped with a message naming the paths tried only where chromium is missing and CI is not set', () => {
    const empty = binFolder('empty', []);
    expect(chromiumMissing({ PATH: empty }, NOWHERE)).toBe(
      `dashboard browser test skipped (with CI set it runs and fails instead): ${chromiumNotFound(findChromium({ PATH: empty }, NOWHERE).tried)}`,
    );
    expect(chromiumMissing({ PATH: empty, CI: 'true' }, NOWHERE)).toBeUndefined();
    expect(chromiumMissing({ PATH: empty, CHROME_PATH: process.execPath }, NOWHERE)).toBeUndefined();
  });
});
