/**
 * The admin dashboard in a real browser: the real app listening on a random local port, Debian's Chromium,
 * seeded database rows. Set ADMIN_SCREENSHOT_DIR to keep screenshots of the desktop and phone layouts.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { insertPublishedCell, insertUser, insertWorkEvent } from '../helpers/admin-seed.js';
import { launchChromium } from '../helpers/chromium.js';
import { DAY, HOUR } from '../helpers/clock.js';
import { backend } from '../helpers/database.js';
import { addCell, CERTAIN_DISPLAY_ENV } from '../helpers/statistics.js';

const USERNAME = 'admin';
const PASSWORD = 'browser-test-password';
const XSS = '<img src=x onerror=alert(1)>';
const SCREENSHOT_DIR = process.env.ADMIN_SCREENSHOT_DIR?.trim() || null;
/** The page's one time format, computed here independently: Swedish writes dates the ISO way. */
const berlin = (iso: string) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
const TIME_FORMAT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe(`admin dashboard in Chromium (${backend})`, () => {
  let t: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let xssFeedbackId: string;
  let plainFeedbackId: string;
  let emptyFeedbackId: string;

  before(async () => {
    t = await createTestApp({ env: { ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info', ...CERTAIN_DISPLAY_ENV }, logDestination: { write: () => true } });
    const db = t.database.db;
    const now = t.clock.now().getTime();
    const users = [await insertUser(db), await insertUser(db), await insertUser(db), await insertUser(db, { registered: false })];
    for (let i = 0; i < 14; i++) {
      await insertWorkEvent(db, {
        userId: users[i % 3]!,
        date: new Date(now - (i + 2) * DAY).toISOString().slice(0, 10),
        createdAt: new Date(now - i * 2 * DAY - HOUR).toISOString(),
        planned: 480,
        actual: 480 + i * 15,
      });
    }
    await insertPublishedCell(db, '2026-01', 'BE', 'internal_medicine');
    plainFeedbackId = (await t.app.services.feedback.submit({ description: 'Calendar crashes on rotation', platform: 'android' })).id;
    xssFeedbackId = (
      await t.app.services.feedback.submit({
        description: XSS,
        device_model: '<script>alert(2)</script>',
        app_state: { html: '<img src=y onerror=alert(3)>' },
      })
    ).id;
    // A report without text, as the mobile app sends it; dismissed, so the "new" counts above stay as they are.
    emptyFeedbackId = (await t.app.services.feedback.submit({ description: null, platform: 'iOS' })).id;
    await t.app.services.feedback.setStatus(emptyFeedbackId, 'dismissed');
    t.app.log.warn({ volume: 'data-7' }, 'disk nearly full on data-7');
    t.app.log.info('routine maintenance tick');
    t.app.log.error('<img src=z onerror=alert(4)> in a log line');

    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A logged-in page that records dialogs, script errors and CSP violations. */
  async function openDashboard(options: { width?: number; timezoneId?: string; beforeLoad?: (page: Page) => Promise<void> } = {}) {
    const context: BrowserContext = await browser.newContext({
      httpCredentials: { username: USERNAME, password: PASSWORD },
      viewport: { width: options.width ?? 1200, height: 900 },
      timezoneId: options.timezoneId ?? 'Europe/Berlin',
    });
    const page = await context.newPage();
    const problems: string[] = [];
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error' && !/favicon|404/.test(message.text())) problems.push(message.text());
    });
    await options.beforeLoad?.(page);
    const response = await page.goto(`${baseUrl}/admin`);
    assert.equal(response?.status(), 200);
    await page.locator('#status', { hasText: 'Updated' }).waitFor();
    return { page, context, problems, dialogs };
  }

  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  test('logs in and shows the numbers that are in the database', async () => {
    const { page, context, problems } = await openDashboard();
    try {
      const db = t.database.db;
      const count = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(db)).rows[0]!.n);
      const registered = await count(sql<{ n: number }>`select count(*) as n from users where consent_accepted_at is not null`);
      const pending = await count(sql<{ n: number }>`select count(*) as n from users where consent_accepted_at is null`);
      const events = await count(sql<{ n: number }>`select count(*) as n from work_events`);
      const since = (ms: number) => new Date(t.clock.now().getTime() - ms).toISOString();
      const last7d = await count(sql<{ n: number }>`select count(*) as n from work_events where created_at >= ${since(7 * DAY)}`);
      const cells = await count(sql<{ n: number }>`select count(*) as n from stats_by_state_specialty`);

      assert.equal(await text(page, '#users-registered'), String(registered));
      assert.equal(await text(page, '#users-pending'), `${pending} pending`);
      assert.equal(await text(page, '#events-total'), String(events));
      assert.equal(await text(page, '#events-7d'), String(last7d));
      assert.equal(await text(page, '#published-cells'), String(cells));
      assert.equal(await text(page, '#feedback-new'), '2');
      assert.equal(await text(page, '#last-publication'), 'Nothing published yet.');
      assert.equal(await text(page, '#aggregation-runs'), 'No runs yet');

      const rows = page.locator('#recent-body tr');
      assert.equal(await rows.count(), 10);
      const newest = await db.selectFrom('work_events').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      const firstRow = await rows.first().locator('td').allInnerTexts();
      assert.equal(firstRow[0], newest.date);
      assert.equal(firstRow[1], '8:00');
      assert.equal(firstRow[2], `${Math.floor(newest.actual_minutes / 60)}:${String(newest.actual_minutes % 60).padStart(2, '0')}`);
      assert.match(firstRow[4] ?? '', /^[0-9a-f]{8}$/);

      const bars = page.locator('#chart svg rect.bar');
      assert.equal(await bars.count(), 30);
      const charted = await bars.evaluateAll((nodes) => nodes.reduce((sum, n) => sum + Number(n.getAttribute('data-count')), 0));
      assert.equal(charted, events, 'every seeded event was submitted within the last 30 days');
      assert.deepEqual(problems, [], 'no script errors and no Content-Security-Policy violations');
      if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, `admin-desktop-${backend}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('changing a feedback status is saved and survives a reload', async () => {
    const { page, context, problems } = await openDashboard();
    try {
      const item = page.locator(`#feedback-list li[data-id="${plainFeedbackId}"]`);
      await item.locator('select').selectOption('resolved');
      await item.locator('.badge', { hasText: 'resolved' }).waitFor();
      await page.locator('#feedback-counts', { hasText: '1 resolved' }).waitFor();
      const row = await t.database.db.selectFrom('feedback').select('status').where('id', '=', plainFeedbackId).executeTakeFirst();
      assert.equal(row?.status, 'resolved');

      await page.reload();
      await page.locator('#status', { hasText: 'Updated' }).waitFor();
      assert.equal(await page.locator(`#feedback-list li[data-id="${plainFeedbackId}"] select`).inputValue(), 'resolved');
      await page.locator('#feedback-filter').selectOption('new');
      await page.locator(`#feedback-list li[data-id="${plainFeedbackId}"]`).waitFor({ state: 'detached' });
      assert.equal(await page.locator('#feedback-list li[data-id]').count(), 1);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('filters the logs by level and text, warnings and above by default', async () => {
    const { page, context } = await openDashboard();
    try {
      const entries = page.locator('#log-list li[data-level]');
      await page.locator('#log-list', { hasText: 'disk nearly full on data-7' }).waitFor();
      assert.equal(await page.locator('#log-level').inputValue(), 'warn');
      const levels = () => entries.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-level')));
      for (const level of await levels()) assert.ok(['warn', 'error', 'fatal'].includes(level!), level!);
      assert.equal(await entries.filter({ hasText: 'routine maintenance tick' }).count(), 0);

      await page.locator('#log-level').selectOption('info');
      await page.locator('#log-list', { hasText: 'routine maintenance tick' }).waitFor();
      await page.locator('#log-level').selectOption('warn');
      // (No waitForFunction: the page's CSP rightly forbids the eval it relies on.)
      await entries.filter({ hasText: 'routine maintenance tick' }).waitFor({ state: 'detached' });
      for (const level of await levels()) assert.ok(['warn', 'error', 'fatal'].includes(level!), level!);

      await page.locator('#log-search').fill('DATA-7');
      await entries.filter({ hasNotText: 'disk nearly full on data-7' }).first().waitFor({ state: 'detached' });
      assert.equal(await entries.count(), 1);
      assert.match(await entries.first().innerText(), /disk nearly full on data-7/);

      await page.locator('#log-search').fill('no such record anywhere');
      await page.locator('#log-list', { hasText: 'No matching log records' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('user-supplied text is shown as text: the XSS payload stays inert', async () => {
    const { page, context, dialogs, problems } = await openDashboard();
    try {
      const item = page.locator(`#feedback-list li[data-id="${xssFeedbackId}"]`);
      assert.equal(await item.locator('.fb-text').innerText(), XSS);
      assert.match(await item.locator('.fb-meta').innerText(), /<script>alert\(2\)<\/script>/);
      await item.locator('summary').click();
      assert.match(await item.locator('pre').innerText(), /<img src=y onerror=alert\(3\)>/);
      await page.locator('#log-list', { hasText: '<img src=z onerror=alert(4)> in a log line' }).waitFor();

      const injected = await page.evaluate(
        "({ images: document.querySelectorAll('img').length, scripts: document.querySelectorAll('script').length })",
      );
      assert.deepEqual(injected, { images: 0, scripts: 1 }, 'no element was created from the payloads');
      await page.waitForTimeout(200);
      assert.deepEqual(dialogs, [], 'no alert() ran');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a report without text says so', async () => {
    const { page, context, problems } = await openDashboard();
    try {
      const item = page.locator(`#feedback-list li[data-id="${emptyFeedbackId}"]`);
      assert.equal(await item.locator('.fb-text').innerText(), '(no description)');
      assert.match(await item.locator('.fb-meta').innerText(), /iOS/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('fits a 375 px wide phone screen without horizontal scrolling', async () => {
    const { page, context } = await openDashboard({ width: 375 });
    try {
      await page.locator(`#feedback-list li[data-id="${xssFeedbackId}"] summary`).click();
      const widths = await page.evaluate<{ document: number; body: number; viewport: number }>(
        '({ document: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: window.innerWidth })',
      );
      assert.equal(widths.viewport, 375);
      assert.ok(widths.document <= 375 && widths.body <= 375, JSON.stringify(widths));
      const chart = await page.locator('#chart svg').boundingBox();
      assert.ok(chart && chart.width > 250 && chart.width <= 375, JSON.stringify(chart));
      if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, `admin-phone-${backend}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('refreshes itself every 30 seconds without reloading the page', async () => {
    const { page, context } = await openDashboard({ beforeLoad: (p) => p.clock.install() });
    try {
      const before = Number(await text(page, '#events-total'));
      await page.evaluate("window.marker = 'same page'");
      const [userId] = (await t.database.db.selectFrom('users').select('id').limit(1).execute()).map((r) => r.id);
      await insertWorkEvent(t.database.db, { userId: userId!, date: '2026-01-05', createdAt: t.clock.now().toISOString() });

      await page.clock.fastForward(29_000);
      assert.equal(Number(await text(page, '#events-total')), before, 'not before 30 seconds');
      await page.clock.fastForward(1_000);
      await page.locator('#events-total', { hasText: String(before + 1) }).waitFor();
      assert.equal(await page.evaluate('window.marker'), 'same page');
    } finally {
      await context.close();
    }
  });
  test('a request is one log line: method, URL, status and response time', async () => {
    const unauthorized = await t.app.inject({ method: 'GET', url: '/work-events?marker=request-line' });
    assert.equal(unauthorized.statusCode, 401);
    const { page, context, problems } = await openDashboard();
    try {
      await page.locator('#log-level').selectOption('info');
      const line = page.locator('#log-list li.request', { hasText: '/work-events?marker=request-line' });
      await line.waitFor();
      assert.equal(await line.count(), 1, 'one line for the request, not two');
      assert.match(await line.locator('.msg').innerText(), /^GET \/work-events\?marker=request-line \u2192 401 in \d+\.\d ms$/);
      assert.match(await line.locator('time').innerText(), TIME_FORMAT);
      assert.equal(await page.locator('#log-list li', { hasText: 'incoming request' }).count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('every time is in TIMEZONE, in one format, whatever the browser\'s time zone', async () => {
    const { page, context, problems } = await openDashboard({ timezoneId: 'America/Los_Angeles' });
    try {
      await page.locator('#log-level').selectOption('trace');
      await page.locator('#log-list', { hasText: 'routine maintenance tick' }).waitFor();
      const now = t.clock.now().toISOString();
      assert.match(await text(page, '#status'), new RegExp(`^Updated ${berlin(now)} · times in Europe/Berlin`));

      const submitted = await page.locator('#recent-body td[data-label="Submitted"]').allInnerTexts();
      const newest = await t.database.db.selectFrom('work_events').select('created_at').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      assert.equal(submitted[0], berlin(newest.created_at));

      const feedbackTimes = await page.locator('#feedback-list .fb-head .muted').allInnerTexts();
      assert.ok(feedbackTimes.length >= 3);
      for (const shown of feedbackTimes) assert.equal(shown, berlin(now), 'feedback was sent at the fake clock\'s now');

      const logTimes = await page.locator('#log-list time').evaluateAll((nodes) =>
        nodes.map((n) => [n.getAttribute('datetime'), n.textContent]),
      );
      assert.ok(logTimes.length > 3);
      for (const [iso, shown] of logTimes) assert.equal(shown, berlin(iso!));
      for (const shown of [...submitted, ...feedbackTimes]) assert.match(shown, TIME_FORMAT);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('shows the last run that published and every run with its message', async () => {
    await addCell(t.database.db, { period: '2025-12', users: 45 });
    const published = await t.app.services.aggregation.run({ trigger: 'admin' });
    assert.equal(published.status, 'success');
    assert.ok(published.periods.includes('2025-12'));
    t.clock.advance(DAY);
    const noop = await t.app.services.aggregation.run({ trigger: 'schedule' });
    assert.deepEqual(noop.periods, []);

    const { page, context, problems } = await openDashboard({ timezoneId: 'Asia/Tokyo' });
    try {
      const last = page.locator('#last-publication');
      assert.equal(
        (await last.locator('p').first().innerText()).trim(),
        `Last publication ${berlin(published.finished_at)} (admin)`,
        'the publishing run, not the later one that found nothing to do',
      );
      assert.equal(await last.locator('p.muted').innerText(), published.message);
      assert.match(published.message, /^Success: published .*2025-12.*: 1 cell displayed/);

      const rows = page.locator('#aggregation-runs tr');
      assert.equal(await rows.count(), 2);
      assert.deepEqual(await rows.nth(0).locator('td').allInnerTexts(), [berlin(noop.started_at), 'schedule', 'success', noop.message]);
      assert.deepEqual(await rows.nth(1).locator('td').allInnerTexts(), [
        berlin(published.started_at),
        'admin',
        'success',
        published.message,
      ]);
      assert.deepEqual(problems, []);
      if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, `admin-runs-${backend}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
