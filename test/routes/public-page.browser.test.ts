/**
 * The public statistics page in a real browser: the real app on a random local port, Debian's Chromium,
 * published rows seeded straight into the table.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { backend } from '../helpers/database.js';
import { statsRow } from '../helpers/statistics.js';

const XSS = '<img src=x onerror=alert(1)>';

describe(`public statistics page in Chromium (${backend})`, () => {
  let t: TestApp;
  let empty: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let emptyUrl: string;

  before(async () => {
    t = await createTestApp();
    await t.database.db
      .insertInto('stats_by_state_specialty')
      .values([
        statsRow({ period: '2026-02', state_code: 'BY', specialty: 'surgery', n_users: 15, avg_weekly_hours: 52.25, avg_planned_weekly_hours: 44, ci90_half_width: 19.19 }),
        statsRow({ period: '2026-02', state_code: 'BY', specialty: 'internal_medicine', n_users: 15, avg_weekly_hours: 50.25, avg_planned_weekly_hours: 42, ci90_half_width: 19.19 }),
        statsRow({ period: '2026-02', state_code: 'BE', specialty: 'surgery', n_users: 20, avg_weekly_hours: 58.5, avg_planned_weekly_hours: 45.5, ci90_half_width: 14.4 }),
        statsRow({ period: '2026-02', state_code: 'HH', specialty: XSS, n_users: 10, avg_weekly_hours: 47, avg_planned_weekly_hours: 40, ci90_half_width: 28.79 }),
        statsRow({ period: '2026-01', state_code: 'NW', specialty: 'surgery', n_users: 25, avg_weekly_hours: 55, avg_planned_weekly_hours: 46, ci90_half_width: 11.52 }),
      ])
      .execute();
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    empty = await createTestApp();
    emptyUrl = await empty.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await empty?.close();
  });

  /** A page that records dialogs (an executed XSS payload), script errors and CSP violations. */
  async function open(url: string, options: { width?: number; locale?: string } = {}) {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1100, height: 900 }, locale: options.locale ?? 'en-GB' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(url);
    return { page, problems, close: () => context.close() };
  }

  const rows = (page: Page, chart: string) => page.locator(`#${chart} g.row`);
  const attribute = async (page: Page, selector: string, name: string) => Number(await page.locator(selector).first().getAttribute(name));

  test('is served with a strict Content-Security-Policy and no external resources', async () => {
    const res = await t.app.inject('/');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/);
    assert.doesNotMatch(res.body, /(src|href)="(https?:)?\/\//, 'nothing loaded from elsewhere');
  });

  test('shows the latest month: bars per state and per specialty with their noise interval and rounded counts', async () => {
    const { page, problems, close } = await open(baseUrl);
    try {
      await rows(page, 'chart-state').first().waitFor();
      assert.equal(await page.locator('#period').inputValue(), '2026-02');
      assert.deepEqual(await rows(page, 'chart-state').locator('text.label').allTextContents(), ['Bavaria', 'Berlin', 'Hamburg']);
      assert.equal(await rows(page, 'chart-specialty').count(), 3);
      assert.match(await page.locator('#status').textContent() ?? '', /≈ 60 doctors in 4 published groups/);

      // Berlin is one group: its bar, planned bar and whisker are exactly the published row.
      const berlin = '#chart-state g.row[data-key="BE"]';
      assert.equal(await attribute(page, `${berlin} rect.actual`, 'data-hours'), 58.5);
      assert.equal(await attribute(page, `${berlin} rect.planned`, 'data-hours'), 45.5);
      assert.equal(await attribute(page, `${berlin} line.whisker`, 'data-half-width'), 14.4);
      assert.match(await page.locator(berlin).textContent() ?? '', /≈ 20 doctors/);
      // Bavaria combines two groups of 15: the mean of 52.25 and 50.25, intervals combined as √(2 × (19.19/2)²).
      const bavaria = '#chart-state g.row[data-key="BY"]';
      assert.equal(await attribute(page, `${bavaria} rect.actual`, 'data-hours'), 51.25);
      assert.ok(Math.abs((await attribute(page, `${bavaria} line.whisker`, 'data-half-width')) - 19.19 / Math.SQRT2) < 1e-9);
      assert.match(await page.locator(bavaria).textContent() ?? '', /≈ 30 doctors/);
      // Longer bars for more hours.
      const width = (selector: string) => attribute(page, `${selector} rect.actual`, 'width');
      assert.ok((await width(berlin)) > (await width(bavaria)));

      const csv = await page.locator('#csv').getAttribute('href');
      assert.match(csv ?? '', /format=csv.*period=2026-02/);
      const download = await page.request.get(new URL(csv!, baseUrl).toString());
      assert.equal(download.status(), 200);
      assert.match((await download.text()).split('\r\n')[0]!, /^period,state_code,specialty,n_users/);
      assert.match(await page.locator('#protection-text').textContent() ?? '', /at least 10 doctors.*ε = 1/);

      // Another month.
      await page.locator('#period').selectOption('2026-01');
      await page.locator('#chart-state g.row[data-key="NW"]').waitFor();
      assert.deepEqual(await rows(page, 'chart-state').locator('text.label').allTextContents(), ['North Rhine-Westphalia']);
      assert.equal(await attribute(page, '#chart-state g.row[data-key="NW"] rect.actual', 'data-hours'), 55);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('speaks German, from the browser language or the switch', async () => {
    const { page, problems, close } = await open(baseUrl, { locale: 'de-DE' });
    try {
      await rows(page, 'chart-state').first().waitFor();
      assert.equal(await page.locator('#h-state').textContent(), 'Nach Bundesland');
      assert.deepEqual(await rows(page, 'chart-state').locator('text.label').allTextContents(), ['Bayern', 'Berlin', 'Hamburg']);
      assert.match(await page.locator('#chart-state g.row[data-key="BE"]').textContent() ?? '', /58,5 Std\..*≈ 20 Ärzt:innen|≈ 20 Ärzt:innen.*58,5 Std\./s);
      assert.match(await page.locator('#period option:checked').textContent() ?? '', /Februar 2026/);
      await page.locator('button[data-lang="en"]').click();
      assert.equal(await page.locator('#h-state').textContent(), 'By state');
      assert.match(await page.locator('#period option:checked').textContent() ?? '', /February 2026/);
      await page.locator('button[data-lang="de"]').click();
      assert.equal(await page.locator('#h-specialty').textContent(), 'Nach Fachrichtung');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('shows a specialty that looks like HTML as text, and nothing runs', async () => {
    const { page, problems, close } = await open(baseUrl);
    try {
      await rows(page, 'chart-specialty').first().waitFor();
      assert.deepEqual(await rows(page, 'chart-specialty').locator('text.label').allTextContents(), [XSS, 'Internal medicine', 'surgery'], 'taxonomy labels; an unknown code as it is');
      assert.equal(await page.locator('#chart-specialty img').count(), 0);
      await page.waitForTimeout(200);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('fits a 375 px phone screen without sideways scrolling', async () => {
    const { page, problems, close } = await open(baseUrl, { width: 375 });
    try {
      await rows(page, 'chart-state').first().waitFor();
      const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
      assert.ok(scrollWidth <= 375, `page is ${scrollWidth} px wide`);
      const chart = await page.locator('#chart-state svg').boundingBox();
      assert.ok(chart && chart.width <= 375 && chart.width > 300);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('says so when nothing has been published yet', async () => {
    const { page, problems, close } = await open(emptyUrl);
    try {
      await page.locator('#status', { hasText: 'No statistics have been published yet' }).waitFor();
      assert.equal(await page.locator('#charts').isVisible(), false);
      assert.equal(await page.locator('#controls').isVisible(), false);
      assert.match(await page.locator('#protection-text').textContent() ?? '', /at least 10 doctors/);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
