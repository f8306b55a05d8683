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
import { seriousViolations } from './support/axe-check.ts';
import { chromiumMissing, launchChromium } from './support/chromium-browser.ts';
import { DemoCodeHost } from './support/demo-code-host.ts';
import { eventually, FactoryProcess, runFactory } from './support/factory-process.ts';
import { issueFile, relayfileEnv, startRelayfile, writeRelayfileConfig } from './support/relayfile-config.ts';
import { testFolder } from './support/temp-folder.ts';

const ADMIN_TOKEN = 'dashboard-admin-token-for-the-browser-test';
const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
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

/** The big number the overview shows for `status`. */
async function count(page: Page, status: string): Promise<string> {
  return ((await page.locator(`[data-count="${status}"] .n`).textContent()) ?? '').trim();
}

/**
 * Saves a screenshot of the page; the committed ones in docs/ change only when asked for
 * (UPDATE_DASHBOARD_SCREENSHOT), so a test run leaves the checkout clean.
 */
async function screenshot(page: Page, folder: string, name: string): Promise<void> {
  const shot = path.join(folder, name);
  await page.screenshot({ path: shot, fullPage: true });
  expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
  if (process.env.UPDATE_DASHBOARD_SCREENSHOT) await copyFile(shot, path.join(DOCS, name));
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
    const refusedByCsp: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) refusedByCsp.push(message.text());
    });

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

    // The overview at a glance: nothing needs a person, and each status has its count.
    await page.getByText('Nothing needs a person.').waitFor();
    expect(await count(page, 'dispatched')).toBe('1');
    expect(await count(page, 'queued')).toBe('1');
    expect(await count(page, 'waiting-clarification')).toBe('1');
    expect(await count(page, 'done')).toBe('0');
    // It says it is live, and when it last heard from the server.
    await page.locator('#heard', { hasText: 'Live: last heard from the server' }).waitFor();
    expect(await page.locator('#last-heard').getAttribute('datetime')).toMatch(TIMESTAMP);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, cwd, 'dashboard.png');

    // DEMO-1 is in flight with its agent, DEMO-3 waits first in the queue, DEMO-2 waits for an answer.
    const firstAgent = await cell(page, 'in-flight', CLEAR, 2);
    expect(firstAgent).toMatch(/^local-[0-9a-f]{24}$/);
    expect(await cell(page, 'queued', QUEUED, 2)).toBe('1');
    expect(await cell(page, 'waiting', VAGUE, 1)).toBe(VAGUE.title);
    // Asked just now, with a deadline later: relative times, the exact time on hover. A plain folder gives
    // the question no URL, so its link is specified over relayfile below.
    const asked = row(page, 'waiting', VAGUE).locator('td time').first();
    expect(await asked.textContent()).toMatch(/^(just now|\d+ s ago)$/);
    expect(await asked.getAttribute('title')).toMatch(TIMESTAMP);
    expect(await cell(page, 'waiting', VAGUE, 4)).toMatch(/^in \d+ (h|d)$/);

    // From here on the page is never loaded again: whatever changes, the script brought it.
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const notReloaded = async () =>
      expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
        true,
      );

    // A person answers in the thread: DEMO-2 joins the queue behind DEMO-3.
    const [question] = (await askedQuestions(mountDir, DEMO_WORK_ITEMS)).filter(
      (asked) => asked.key === VAGUE.key,
    );
    if (!question) throw new Error('the factory asked nothing about DEMO-2');
    await answerQuestion(mountDir, question, VAGUE.answer ?? '');
    await row(page, 'queued', VAGUE).waitFor();
    expect(await cell(page, 'queued', VAGUE, 2)).toBe('2');
    await page.locator('#waiting td.empty').waitFor();
    await page.locator('[data-count="queued"] .n', { hasText: '2' }).waitFor();
    await notReloaded();

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
    await page.locator('[data-count="done"] .n', { hasText: '3' }).waitFor();
    await notReloaded();

    // All three in recently done, each with its pull request; nothing left anywhere else.
    for (const item of DEMO_WORK_ITEMS) {
      const link = row(page, 'done', item).locator(`a[href="${pulls.get(item.id)}"]`);
      expect(await link.textContent()).toBe('pull request');
    }
    for (const section of ['in-flight', 'queued', 'waiting', 'failed'])
      await page.locator(`#${section} td.empty`).waitFor();

    // The filter narrows the lists (a plain form: it works without the script too).
    await page.fill('#filter input[name="q"]', VAGUE.key);
    await Promise.all([page.waitForURL(/\?/), page.click('#filter button[type="submit"]')]);
    await row(page, 'done', VAGUE).waitFor();
    expect(await page.locator('#done tr[data-item]').count()).toBe(1);

    // DEMO-2's own page: the question, the answer, the dispatch, every step, the pull request.
    await row(page, 'done', VAGUE).locator('td a').first().click();
    await page.waitForURL(`${url}/t/local/items/${encodeURIComponent(VAGUE.id)}`);
    const asks = (await page.locator('#clarification blockquote.question').textContent()) ?? '';
    expect(asks.length).toBeGreaterThan(10);
    expect(question.text).toContain(asks);
    expect(await page.locator('#clarification .answers blockquote').textContent()).toBe(VAGUE.answer);
    const attempt = page.locator('#attempts tr[data-attempt="1"] td');
    expect(await attempt.nth(2).textContent()).toBe(thirdAgent);
    expect(await attempt.nth(6).textContent()).toBe('succeeded');
    const steps = await page.locator('#timeline li b').allTextContents();
    expect(steps).toEqual(['new', 'waiting-clarification', 'queued', 'dispatched', 'done']);
    expect(await page.locator('[data-link="pullRequest"] a').getAttribute('href')).toBe(pulls.get(VAGUE.id));
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, cwd, 'dashboard-item.png');

    // The plots, drawn from the demo's records.
    await page.click('nav a[href="/t/local/plots"]');
    await page.waitForURL(`${url}/t/local/plots`);
    expect(await page.locator('#plot-done rect.bar').count()).toBeGreaterThan(0);
    const doneBars = await page.locator('#plot-done rect.bar title').allTextContents();
    expect(doneBars.reduce((sum, text) => sum + Number(text.split(': ')[1]), 0)).toBe(3);
    expect(await page.locator('#plot-lead-time polyline, #plot-lead-time circle').count()).toBeGreaterThan(0);
    expect(await page.locator('#stats li', { hasText: 'questions answered' }).textContent()).toContain(
      '1 of 1',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, cwd, 'dashboard-plots.png');
    await page.click('nav[aria-label="window"] a[href$="window=7d"]');
    await page.locator('#plot-done figcaption', { hasText: 'per day' }).waitFor();

    // Wrong input, behind the same sign-in: a 400 that says why, a 404 for an item nobody knows.
    const badWindow = await page.goto(`${url}/t/local/plots?window=1y`);
    expect(badWindow?.status()).toBe(400);
    await page.getByText('window must be one of 24h, 7d, 30d; got "1y"').waitFor();
    const unknown = await page.goto(`${url}/t/local/items/no-such-item`);
    expect(unknown?.status()).toBe(404);
    await page.getByText('No item with this id is known to the factory.').waitFor();

    // On a phone: the overview fits the screen's width and stays accessible.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(dashboardUrl);
    await row(page, 'done', VAGUE).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, cwd, 'dashboard-phone.png');

    // The pages kept to their CSP: nothing was refused.
    expect(refusedByCsp).toEqual([]);

    // The token went in a form body and a header, never in a URL; the server never logged it.
    expect(requested.filter((requestUrl) => requestUrl.includes(ADMIN_TOKEN))).toEqual([]);
    expect(factory.stdout + factory.stderr).not.toContain(ADMIN_TOKEN);
  }, 180_000);
  it('has an accessibility check that finds what it must: an unlabelled field, text too faint to read', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><title>t</title><main><input type="text"><p style="color:#ccc">faint</p></main></html>',
    );
    expect((await seriousViolations(page)).map((violation) => violation.id).sort()).toEqual([
      'color-contrast',
      'label',
    ]);
  });

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
