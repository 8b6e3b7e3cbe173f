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
import { randomUUID } from 'node:crypto';
import { statsRow } from '../helpers/statistics.js';

/** A figure of the current method (stats_releases); overtime is actual − planned. */
function release(
  level: string,
  keys: { state_code?: string; department_group?: string; profession?: string },
  n: number,
  actual: number,
  planned: number,
  ci: [number, number, number],
) {
  return {
    id: randomUUID(),
    period: '2025-09',
    method: 'v2-bounded-mean-2026',
    level,
    state_code: keys.state_code ?? null,
    department_group: keys.department_group ?? null,
    profession: keys.profession ?? null,
    n_display: n,
    actual_mean: actual,
    planned_mean: planned,
    overtime_mean: Math.round((actual - planned) * 100) / 100,
    actual_ci_half: ci[0],
    planned_ci_half: ci[1],
    overtime_ci_half: ci[2],
    epsilon: 1,
    k_min: 10,
    created_at: '2025-10-08T03:00:00.000Z',
  };
}

const XSS = '<img src=x onerror=alert(1)>';
/** The operator's links; `&` and `'` must arrive in the href as they are, escaped in the HTML. */
const LINKS = {
  IMPRINT_URL: 'https://example.org/impressum?lang=de&v=1',
  PRIVACY_URL: "https://example.org/datenschutz#it's",
  CONTACT_EMAIL: 'team@example.org',
};

/** A published row; overtime is actual − planned, as the aggregation writes it. */
function cell(
  period: string,
  state_code: string,
  specialty: string,
  n_users: number,
  actual: number,
  planned: number,
  ci: number,
  plannedCi: number | null,
  overtimeCi: number | null,
) {
  return statsRow({
    period,
    state_code,
    specialty,
    n_users,
    avg_weekly_hours: actual,
    avg_planned_weekly_hours: planned,
    avg_overtime_weekly_hours: actual - planned,
    ci90_half_width: ci,
    planned_ci90_half_width: plannedCi,
    overtime_ci90_half_width: overtimeCi,
  });
}

describe(`public statistics page in Chromium (${backend})`, () => {
  let t: TestApp;
  let empty: TestApp;
  let linked: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let emptyUrl: string;
  let linkedUrl: string;

  before(async () => {
    t = await createTestApp();
    await t.database.db
      .insertInto('stats_by_state_specialty')
      .values([
        cell('2026-02', 'BY', 'chirurgie', 15, 52.25, 44, 19.19, 76.76, 101.46),
        cell('2026-02', 'BY', 'innere_medizin', 15, 50.25, 42, 19.19, 76.76, 101.46),
        cell('2026-02', 'BE', 'chirurgie', 20, 58.5, 45.5, 14.4, 57.57, 76.1),
        cell('2026-02', 'HH', XSS, 10, 47, 40, 28.79, 115.13, 187.24),
        cell('2026-02', 'HH', 'not_specified', 10, 49, 41, 28.79, 115.13, 187.24),
        cell('2026-01', 'NW', 'chirurgie', 25, 55, 46, 11.52, 46.06, 60.88),
        // A month published under the first vocabulary's specialties, before planned and overtime intervals existed.
        cell('2025-06', 'BE', 'cardiology', 15, 53, 44.5, 19.19, null, null),
      ])
      .execute();
    // A month of the current method: Germany and the levels, and its state × department rows.
    await t.database.db
      .insertInto('stats_releases')
      .values([
        release('germany', {}, 612, 52.4, 42.1, [0.59, 0.4, 0.81]),
        release('state', { state_code: 'NW' }, 130, 53.1, 42.5, [12.5, 8.2, 17.7]),
        release('state', { state_code: 'BY' }, 96, 50.2, 41.9, [17, 11, 24]),
        release('department_group', { department_group: 'anaesthesiologie_intensiv' }, 498, 54.3, 42.2, [1.9, 1.2, 2.45]),
        release('department_group', { department_group: 'chirurgie' }, 114, 55.0, 43.0, [8.1, 5.3, 11.2]),
        release('profession', { profession: 'nurse' }, 340, 47.5, 39.9, [15.2, 10.1, 21.4]),
        release('state_department_group', { state_code: 'NW', department_group: 'chirurgie' }, 44, 61.2, 40.3, [320.4, 210.2, 451.9]),
      ])
      .execute();
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    empty = await createTestApp();
    emptyUrl = await empty.app.listen({ port: 0, host: '127.0.0.1' });
    linked = await createTestApp({ env: LINKS });
    linkedUrl = await linked.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await empty?.close();
    await linked?.close();
  });

  /** A page that records dialogs (an executed XSS payload), script errors and CSP violations. */
  async function open(url: string, options: { width?: number; locale?: string; today?: string } = {}) {
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
    // The browser's date, for what the empty page says about the next publication.
    if (options.today) await page.clock.setFixedTime(new Date(options.today));
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

  test('shows the latest month: bars per state and per department group with their noise intervals, overtime and rounded counts', async () => {
    const { page, problems, close } = await open(baseUrl);
    try {
      await rows(page, 'chart-state').first().waitFor();
      assert.equal(await page.locator('#period').inputValue(), '2026-02');
      assert.deepEqual(await rows(page, 'chart-state').locator('text.label').allTextContents(), ['Bavaria', 'Berlin', 'Hamburg']);
      assert.equal(await page.locator('#h-specialty').textContent(), 'By department');
      assert.deepEqual(
        await rows(page, 'chart-specialty').locator('text.label').allTextContents(),
        [XSS, 'Internal Medicine', 'Not specified', 'Surgery'],
        'department group labels; an unknown code as it is',
      );
      assert.match(await page.locator('#status').textContent() ?? '', /≈ 70 people in 5 published groups/);

      // Berlin is one group: its bars, whiskers and overtime are exactly the published row.
      const berlin = '#chart-state g.row[data-key="BE"]';
      assert.equal(await attribute(page, `${berlin} rect.actual`, 'data-hours'), 58.5);
      assert.equal(await attribute(page, `${berlin} rect.planned`, 'data-hours'), 45.5);
      assert.equal(await attribute(page, `${berlin} line.whisker.actual`, 'data-half-width'), 14.4);
      assert.equal(await attribute(page, `${berlin} line.whisker.planned`, 'data-half-width'), 57.57);
      assert.equal(await attribute(page, `${berlin} text.overtime`, 'data-hours'), 13);
      assert.equal(await attribute(page, `${berlin} text.overtime`, 'data-half-width'), 76.1);
      assert.equal(await page.locator(`${berlin} text.overtime`).textContent(), 'Overtime (actual − planned): +13.0 h (± 76.1)');
      assert.match(await page.locator(berlin).textContent() ?? '', /≈ 20 people/);
      // Bavaria combines two groups of 15: the mean of 52.25 and 50.25, intervals combined as √(2 × (19.19/2)²).
      const bavaria = '#chart-state g.row[data-key="BY"]';
      assert.equal(await attribute(page, `${bavaria} rect.actual`, 'data-hours'), 51.25);
      assert.ok(Math.abs((await attribute(page, `${bavaria} line.whisker.actual`, 'data-half-width')) - 19.19 / Math.SQRT2) < 1e-9);
      assert.equal(await attribute(page, `${bavaria} rect.planned`, 'data-hours'), 43);
      assert.ok(Math.abs((await attribute(page, `${bavaria} line.whisker.planned`, 'data-half-width')) - 76.76 / Math.SQRT2) < 1e-9);
      assert.equal(await attribute(page, `${bavaria} text.overtime`, 'data-hours'), 8.25);
      assert.ok(Math.abs((await attribute(page, `${bavaria} text.overtime`, 'data-half-width')) - 101.46 / Math.SQRT2) < 1e-9);
      assert.match(await page.locator(bavaria).textContent() ?? '', /≈ 30 people/);
      // Longer bars for more hours.
      const width = (selector: string) => attribute(page, `${selector} rect.actual`, 'width');
      assert.ok((await width(berlin)) > (await width(bavaria)));

      const csv = await page.locator('#csv').getAttribute('href');
      assert.match(csv ?? '', /format=csv.*period=2026-02/);
      const download = await page.request.get(new URL(csv!, baseUrl).toString());
      assert.equal(download.status(), 200);
      assert.match((await download.text()).split('\r\n')[0]!, /^period,state_code,specialty,profession,level,method,n_users,.*,planned_ci_half,overtime_ci_half,n_display,status,computed_at$/);
      assert.match(await page.locator('#protection-text').textContent() ?? '', /at least 10 people.*ε = 1/);

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

  test('a month of the current method shows Germany and the levels first with their intervals, each group on demand', async () => {
    const { page, problems, close } = await open(`${baseUrl}#2025-09`);
    try {
      await page.locator('#chart-germany g.row').waitFor();
      assert.equal(await page.locator('#period').inputValue(), '2025-09');
      const germany = '#chart-germany g.row';
      assert.equal(await attribute(page, `${germany} rect.actual`, 'data-hours'), 52.4);
      assert.equal(await attribute(page, `${germany} line.whisker.actual`, 'data-half-width'), 0.59);
      assert.equal(await attribute(page, `${germany} text.overtime`, 'data-half-width'), 0.81);
      assert.match(await page.locator(germany).textContent() ?? '', /≈ 612 people/);
      assert.match(await page.locator('#t-intervalText').textContent() ?? '', /90% interval: the true average lies within it with at least 90% probability/);
      // The levels as released, not recombined from the groups.
      assert.deepEqual(await rows(page, 'chart-state').locator('text.label').allTextContents(), ['Bavaria', 'North Rhine-Westphalia']);
      assert.equal(await attribute(page, '#chart-state g.row[data-key="NW"] rect.actual', 'data-hours'), 53.1);
      assert.equal(await attribute(page, '#chart-state g.row[data-key="NW"] line.whisker.actual', 'data-half-width'), 12.5);
      const anaesthesia = '#chart-specialty g.row[data-key="anaesthesiologie_intensiv"]';
      assert.equal(await attribute(page, `${anaesthesia} text.overtime`, 'data-half-width'), 2.45);
      assert.deepEqual(await rows(page, 'chart-profession').locator('text.label').allTextContents(), ['Nurse']);
      // Each state × department group only on demand.
      assert.equal(await page.locator('#cells').isVisible(), false);
      await page.locator('#toggle-cells').click();
      const cell = page.locator('#cells-table tr[data-key="NW|chirurgie"]');
      await cell.waitFor();
      assert.deepEqual(await cell.locator('td').allTextContents(), [
        'North Rhine-Westphalia',
        'Surgery',
        '≈ 44',
        '61.2 h ± 320.4',
        '40.3 h ± 210.2',
        '20.9 h ± 451.9',
      ]);
      await page.locator('#toggle-cells').click();
      assert.equal(await page.locator('#cells').isVisible(), false);
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
      assert.match(await page.locator('#chart-state g.row[data-key="BE"]').textContent() ?? '', /≈ 20 Personen.*58,5 Std\..*Überstunden \(tatsächlich − geplant\): \+13,0 Std\. \(± 76,1\)/s);
      assert.equal(await page.locator('#h-specialty').textContent(), 'Nach Fachbereich');
      assert.deepEqual(await rows(page, 'chart-specialty').locator('text.label').allTextContents(), [XSS, 'Chirurgie', 'Innere Medizin', 'Keine Angabe']);
      assert.match(await page.locator('#period option:checked').textContent() ?? '', /Februar 2026/);
      await page.locator('button[data-lang="en"]').click();
      assert.equal(await page.locator('#h-state').textContent(), 'By state');
      assert.match(await page.locator('#period option:checked').textContent() ?? '', /February 2026/);
      await page.locator('button[data-lang="de"]').click();
      assert.equal(await page.locator('#h-specialty').textContent(), 'Nach Fachbereich');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('an old month published under a first-vocabulary specialty is still shown with its name, without the intervals it lacks', async () => {
    for (const [locale, label, overtime] of [
      ['en-GB', 'Cardiology', 'Overtime (actual − planned): +8.5 h'],
      ['de-DE', 'Innere Medizin und Kardiologie', 'Überstunden (tatsächlich − geplant): +8,5 Std.'],
    ] as const) {
      const { page, problems, close } = await open(`${baseUrl}#2025-06`, { locale });
      try {
        await page.locator('#chart-specialty g.row[data-key="cardiology"]').waitFor();
        assert.equal(await page.locator('#period').inputValue(), '2025-06');
        assert.deepEqual(await rows(page, 'chart-specialty').locator('text.label').allTextContents(), [label]);
        const legacy = '#chart-specialty g.row[data-key="cardiology"]';
        assert.equal(await attribute(page, `${legacy} rect.planned`, 'data-hours'), 44.5);
        assert.equal(await page.locator(`${legacy} line.whisker.planned`).count(), 0, 'no planned interval was published');
        assert.equal(await page.locator(`${legacy} text.overtime`).textContent(), overtime);
        assert.deepEqual(problems, []);
      } finally {
        await close();
      }
    }
  });

  test('shows a specialty that looks like HTML as text, and nothing runs', async () => {
    const { page, problems, close } = await open(baseUrl);
    try {
      await rows(page, 'chart-specialty').first().waitFor();
      assert.equal(await rows(page, 'chart-specialty').locator('text.label').first().textContent(), XSS);
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

  test('says so when nothing has been published yet, and explains what will appear and when', async () => {
    const { page, problems, close } = await open(emptyUrl, { today: '2026-03-05T12:00:00' });
    try {
      await page.locator('#status', { hasText: 'No statistics have been published yet' }).waitFor();
      assert.equal(await page.locator('#charts').isVisible(), false);
      assert.equal(await page.locator('#controls').isVisible(), false);
      assert.match(await page.locator('#protection-text').textContent() ?? '', /at least 10 people/);
      assert.equal(await page.locator('#empty').isVisible(), true);
      assert.equal(await page.locator('#empty-title').textContent(), 'What will appear here');
      assert.match(await page.locator('#empty-what').textContent() ?? '', /actual and planned weekly working hours and the overtime.*by federal state and by hospital department/);
      // On 5 March, February is not out yet: it is published 7 days after its end, on 8 March.
      assert.match(
        await page.locator('#empty-when').textContent() ?? '',
        /^A month is published 7 days after it ends: February 2026 on 8 March 2026\. A group appears once enough people in it have recorded complete weeks that month \(its noisy count reaches 10\)/,
      );
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
    // After 8 March the next one is March, published on 8 April; in German too.
    const later = await open(emptyUrl, { today: '2026-03-09T12:00:00', locale: 'de-DE' });
    try {
      await later.page.locator('#empty-when', { hasText: 'März 2026 am 8. April 2026' }).waitFor();
      assert.equal(await later.page.locator('#empty-title').textContent(), 'Was hier erscheinen wird');
      assert.deepEqual(later.problems, []);
    } finally {
      await later.close();
    }
  });

  test('the empty state is gone once a month is published', async () => {
    const { page, problems, close } = await open(baseUrl);
    try {
      await rows(page, 'chart-state').first().waitFor();
      assert.equal(await page.locator('#empty').isVisible(), false);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('imprint, privacy policy and contact from the configuration, in the reader\'s language', async () => {
    const { page, problems, close } = await open(linkedUrl);
    try {
      const footer = page.locator('footer#legal');
      await footer.locator('a', { hasText: 'Imprint' }).waitFor();
      assert.equal(await footer.locator('a', { hasText: 'Imprint' }).getAttribute('href'), LINKS.IMPRINT_URL);
      assert.equal(await footer.locator('a', { hasText: 'Privacy policy' }).getAttribute('href'), LINKS.PRIVACY_URL);
      assert.equal(await footer.locator('a[href^="mailto:"]').getAttribute('href'), 'mailto:team@example.org');
      assert.equal((await footer.innerText()).replace(/\s+/g, ' ').trim(), 'Imprint Privacy policy Contact: team@example.org');
      await page.locator('button[data-lang="de"]').click();
      assert.deepEqual(await footer.locator('a').allTextContents(), ['Impressum', 'Datenschutzerklärung', 'team@example.org']);
      assert.match(await footer.innerText(), /Kontakt: team@example\.org/);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
    const res = await linked.app.inject('/');
    assert.match(res.body, /href="https:\/\/example\.org\/impressum\?lang=de&#38;v=1"/, 'escaped in the HTML');
    assert.match(res.body, /href="https:\/\/example\.org\/datenschutz#it&#39;s"/);
  });

  test('shows no links that are not configured', async () => {
    const none = await t.app.inject('/');
    assert.doesNotMatch(none.body, /<footer|mailto:/);
    const onlyPrivacy = await createTestApp({ env: { PRIVACY_URL: LINKS.PRIVACY_URL } });
    try {
      const body = (await onlyPrivacy.app.inject('/')).body;
      assert.match(body, /<footer id="legal"><a href="[^"]+" data-text="privacy">Privacy policy<\/a><\/footer>/);
      assert.doesNotMatch(body, /data-text="(imprint|contact)"|mailto:/);
    } finally {
      await onlyPrivacy.close();
    }
  });
});
