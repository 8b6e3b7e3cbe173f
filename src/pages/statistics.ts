/**
 * The public statistics page (`GET /`): one self-contained HTML document in German and English, no external
 * resources (it works offline and needs no build step). It reads `/stats/summary` and
 * `/stats/by-state-specialty` and draws the bar charts as inline SVG.
 *
 * Safety: every value from the server reaches the page through `textContent` or `setAttribute` on elements
 * the script creates, never as HTML; the Content-Security-Policy admits exactly this script and this style
 * (by hash), so nothing else could run even if that rule were broken.
 *
 * The script is plain browser JavaScript kept in a string (not compiled by TypeScript); the browser test in
 * `test/routes/public-page.browser.test.ts` runs it. It must not contain backticks or `${`.
 */
import { selfContainedPageCsp } from './csp.js';
import { DEPARTMENT_GROUPS, LEGACY_SPECIALTIES, NOT_SPECIFIED_LABEL, STATES } from '../services/taxonomy.js';

const STYLE = String.raw`
:root { color-scheme: light dark; --bg: #f6f7f9; --panel: #fff; --text: #1d2430; --muted: #5d6878; --line: #dde2e8;
  --actual: #2463c7; --planned: #9db8e6; --whisker: #1d2430; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14181f; --panel: #1d232c; --text: #e6e9ee; --muted: #9aa5b4; --line: #313a46; --actual: #6ea3ff;
    --planned: #3a5582; --whisker: #e6e9ee; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px;
  padding: 12px 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 20px; line-height: 1.25; }
h2 { margin: 0 0 8px; font-size: 17px; }
main { max-width: 960px; margin: 0 auto; padding: 12px; display: grid; gap: 12px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
p { margin: 0 0 8px; }
.muted, #status { color: var(--muted); font-size: 14px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; }
select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); color: var(--text); }
button[aria-pressed="true"] { background: var(--actual); color: #fff; border-color: var(--actual); }
a { color: var(--actual); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 14px; color: var(--muted); margin-bottom: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.swatch.actual { background: var(--actual); }
.swatch.planned { background: var(--planned); }
.swatch.whisker { height: 2px; background: var(--whisker); vertical-align: 3px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart text { fill: var(--text); font-size: 13px; }
.chart text.label { font-weight: 600; }
.chart text.value, .chart text.axis { fill: var(--muted); font-size: 12px; }
.chart rect.actual { fill: var(--actual); }
.chart rect.planned { fill: var(--planned); }
.chart line.grid { stroke: var(--line); }
.chart line.whisker { stroke: var(--whisker); stroke-width: 1.5; }
[hidden] { display: none !important; }
`;

const SCRIPT_TEMPLATE = String.raw`
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  // State and specialty names in German and English, from the same taxonomy the API validates against.
  var TAXONOMY = __TAXONOMY__;
  var TEXT = {
    en: {
      locale: 'en-GB', title: 'Real working hours of hospital doctors',
      intro: 'Monthly averages from doctors in German hospitals who record their working hours with the Open Working Hours app.',
      month: 'Month', byState: 'By state', bySpecialty: 'By specialty', actual: 'Actual hours per week',
      planned: 'Planned hours per week', whisker: '90% noise interval', hours: 'h', doctors: 'doctors',
      csv: 'Download this month as CSV', loading: 'Loading…',
      noData: 'No statistics have been published yet. A month is published once it is over and enough doctors have taken part.',
      error: 'The statistics could not be loaded. Please try again later.',
      protection: 'How the figures are protected',
      protectionText: function (m) {
        return 'Only groups of at least ' + m.k_min + ' doctors are shown. Each doctor counts with at most ' +
          m.weekly_hours_cap + ' hours a week. Random noise is added once to every figure (differential privacy, ε = ' +
          m.epsilon + ' per doctor and month), so that no published number reveals anything precise about one person. ' +
          'The whiskers show how far the noise may move an average (with 90% probability). Numbers of doctors are ' +
          'rounded down to multiples of 5. A month is published once, ' + m.grace_days + ' days after it ends, and never changed.';
      },
      combined: 'A state or specialty combines its published groups, weighted by their number of doctors; the groups are on the CSV.',
      summaryLine: function (n, g) { return '≈ ' + n + ' doctors in ' + g + ' published groups.'; }
    },
    de: {
      locale: 'de-DE', title: 'Tatsächliche Arbeitszeiten von Klinikärztinnen und -ärzten',
      intro: 'Monatliche Durchschnittswerte von Ärztinnen und Ärzten in deutschen Kliniken, die ihre Arbeitszeit mit der App Open Working Hours erfassen.',
      month: 'Monat', byState: 'Nach Bundesland', bySpecialty: 'Nach Fachrichtung', actual: 'Tatsächliche Wochenstunden',
      planned: 'Geplante Wochenstunden', whisker: '90-%-Rauschintervall', hours: 'Std.', doctors: 'Ärzt:innen',
      csv: 'Diesen Monat als CSV herunterladen', loading: 'Wird geladen…',
      noData: 'Noch keine Statistiken veröffentlicht. Ein Monat wird veröffentlicht, sobald er vorbei ist und genug Ärztinnen und Ärzte teilgenommen haben.',
      error: 'Die Statistiken konnten nicht geladen werden. Bitte später erneut versuchen.',
      protection: 'Wie die Zahlen geschützt sind',
      protectionText: function (m) {
        return 'Gezeigt werden nur Gruppen mit mindestens ' + m.k_min + ' Ärztinnen und Ärzten. Jede Person zählt mit höchstens ' +
          m.weekly_hours_cap + ' Stunden pro Woche. Jeder Wert erhält einmalig ein zufälliges Rauschen (Differential Privacy, ε = ' +
          m.epsilon + ' pro Person und Monat), sodass keine veröffentlichte Zahl etwas Genaues über eine einzelne Person verrät. ' +
          'Die Fehlerbalken zeigen, wie weit das Rauschen einen Durchschnitt verschieben kann (mit 90 % Wahrscheinlichkeit). ' +
          'Personenzahlen sind auf Vielfache von 5 abgerundet. Ein Monat wird einmal veröffentlicht, ' + m.grace_days +
          ' Tage nach seinem Ende, und danach nie geändert.';
      },
      combined: 'Ein Bundesland oder eine Fachrichtung fasst die veröffentlichten Gruppen zusammen, gewichtet nach ihrer Personenzahl; die einzelnen Gruppen stehen in der CSV-Datei.',
      summaryLine: function (n, g) { return '≈ ' + n + ' Ärzt:innen in ' + g + ' veröffentlichten Gruppen.'; }
    }
  };

  var view = { lang: pickLanguage(), summary: null, period: null, rows: null, failed: false };
  var byId = function (id) { return document.getElementById(id); };

  function pickLanguage() {
    var asked = new URLSearchParams(location.search).get('lang');
    if (asked === 'de' || asked === 'en') return asked;
    try { var stored = localStorage.getItem('owh-lang'); if (stored === 'de' || stored === 'en') return stored; } catch (e) { /* storage off */ }
    return (navigator.language || '').toLowerCase().indexOf('de') === 0 ? 'de' : 'en';
  }

  function t() { return TEXT[view.lang]; }
  function number(value, digits) {
    return new Intl.NumberFormat(t().locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  }
  function monthName(period) {
    var parts = period.split('-');
    var date = new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 1));
    return isNaN(date.getTime()) ? period : date.toLocaleDateString(t().locale, { month: 'long', year: 'numeric', timeZone: 'UTC' });
  }
  function labelOf(kind) {
    return function (code) {
      var names = Object.prototype.hasOwnProperty.call(TAXONOMY[kind], code) ? TAXONOMY[kind][code] : null;
      return names ? names[view.lang] : code;
    };
  }
  function setText(id, text) { byId(id).textContent = text; }

  function svg(tag, attributes, parent) {
    var element = document.createElementNS(NS, tag);
    Object.keys(attributes).forEach(function (name) { element.setAttribute(name, String(attributes[name])); });
    if (parent) parent.appendChild(element);
    return element;
  }

  /** Rows of one month combined per state or specialty, weighted by the (rounded) number of doctors. */
  function combine(rows, key, label) {
    var groups = {};
    rows.forEach(function (row) {
      var group = groups[row[key]] || (groups[row[key]] = { key: row[key], n: 0, actual: 0, planned: 0, plannedN: 0, intervals: [] });
      group.n += row.n_users;
      group.actual += row.n_users * row.avg_weekly_hours;
      if (typeof row.avg_planned_weekly_hours === 'number') {
        group.planned += row.n_users * row.avg_planned_weekly_hours;
        group.plannedN += row.n_users;
      }
      group.intervals.push([row.n_users, typeof row.ci90_half_width === 'number' ? row.ci90_half_width : 0]);
    });
    return Object.keys(groups).map(function (k) {
      var g = groups[k];
      // Independent noises: the weighted intervals add up as a root of a sum of squares.
      var spread = Math.sqrt(g.intervals.reduce(function (sum, pair) { var w = pair[0] / g.n; return sum + w * w * pair[1] * pair[1]; }, 0));
      return { key: g.key, label: label(g.key), n: g.n, actual: g.actual / g.n, planned: g.plannedN ? g.planned / g.plannedN : null, ci: spread };
    }).sort(function (a, b) { return a.label.localeCompare(b.label, t().locale); });
  }

  function drawChart(container, groups) {
    container.textContent = '';
    // Drawn at the container's own width, so that text keeps its size on a phone.
    var width = Math.max(300, Math.round(container.clientWidth || 640)), left = 8, right = 8, top = 22, rowHeight = 58;
    var maxValue = groups.reduce(function (m, g) { return Math.max(m, g.actual + g.ci, g.planned || 0); }, 0);
    var scaleMax = Math.max(60, Math.ceil(maxValue / 10) * 10);
    var plot = width - left - right - 80;
    var x = function (hours) { return left + Math.max(0, Math.min(hours, scaleMax)) / scaleMax * plot; };
    var height = top + groups.length * rowHeight + 4;
    var root = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': container.getAttribute('data-title') || '' }, container);
    for (var tick = 0; tick <= scaleMax; tick += scaleMax > 100 ? 40 : 20) {
      svg('line', { class: 'grid', x1: x(tick), x2: x(tick), y1: top - 4, y2: height }, root);
      svg('text', { class: 'axis', x: x(tick), y: 12, 'text-anchor': 'middle' }, root).textContent = number(tick, 0);
    }
    groups.forEach(function (g, i) {
      var y = top + i * rowHeight;
      var row = svg('g', { class: 'row', 'data-key': g.key }, root);
      var hint = g.label + ': ' + number(g.actual, 1) + ' ' + t().hours + ' ± ' + number(g.ci, 1) +
        (g.planned === null ? '' : ' / ' + number(g.planned, 1) + ' ' + t().hours) + ', ≈ ' + g.n + ' ' + t().doctors;
      svg('title', {}, row).textContent = hint;
      svg('text', { class: 'label', x: left, y: y + 13 }, row).textContent = g.label;
      svg('text', { class: 'value', x: width - right, y: y + 13, 'text-anchor': 'end' }, row).textContent = '≈ ' + g.n + ' ' + t().doctors;
      svg('rect', { class: 'actual', x: left, y: y + 19, height: 14, width: Math.max(1, x(g.actual) - left), 'data-hours': g.actual }, row);
      svg('text', { class: 'value', x: x(g.actual + g.ci) + 6, y: y + 30 }, row).textContent = number(g.actual, 1) + ' ' + t().hours;
      svg('line', { class: 'whisker', x1: x(g.actual - g.ci), x2: x(g.actual + g.ci), y1: y + 26, y2: y + 26, 'data-half-width': g.ci }, row);
      svg('line', { class: 'whisker', x1: x(g.actual - g.ci), x2: x(g.actual - g.ci), y1: y + 21, y2: y + 31 }, row);
      svg('line', { class: 'whisker', x1: x(g.actual + g.ci), x2: x(g.actual + g.ci), y1: y + 21, y2: y + 31 }, row);
      if (g.planned !== null) {
        svg('rect', { class: 'planned', x: left, y: y + 36, height: 10, width: Math.max(1, x(g.planned) - left), 'data-hours': g.planned }, row);
        svg('text', { class: 'value', x: x(g.planned) + 6, y: y + 45 }, row).textContent = number(g.planned, 1) + ' ' + t().hours;
      }
    });
  }

  function render() {
    var text = t();
    document.documentElement.lang = view.lang;
    document.title = text.title + ' — Open Working Hours';
    ['title', 'intro', 'protection'].forEach(function (id) { setText(id, text[id]); });
    setText('period-label', text.month);
    setText('h-state', text.byState);
    setText('h-specialty', text.bySpecialty);
    document.querySelectorAll('.legend-actual').forEach(function (el) { el.textContent = text.actual; });
    document.querySelectorAll('.legend-planned').forEach(function (el) { el.textContent = text.planned; });
    document.querySelectorAll('.legend-whisker').forEach(function (el) { el.textContent = text.whisker; });
    document.querySelectorAll('button[data-lang]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === view.lang)); });
    byId('chart-state').setAttribute('data-title', text.byState);
    byId('chart-specialty').setAttribute('data-title', text.bySpecialty);

    var summary = view.summary;
    var hasData = Boolean(summary && summary.periods.length);
    byId('charts').hidden = !hasData || !view.rows;
    byId('controls').hidden = !hasData;
    if (summary) {
      setText('protection-text', text.protectionText(summary.methodology));
      setText('combined-note', text.combined);
    }
    if (view.failed) return setText('status', text.error);
    if (!summary) return setText('status', text.loading);
    if (!hasData) return setText('status', text.noData);

    var select = byId('period');
    select.textContent = '';
    summary.periods.forEach(function (period) {
      var option = document.createElement('option');
      option.value = period;
      option.textContent = monthName(period);
      option.selected = period === view.period;
      select.appendChild(option);
    });
    var csv = byId('csv');
    csv.textContent = text.csv;
    csv.setAttribute('href', 'stats/by-state-specialty?format=csv&limit=5000&period=' + encodeURIComponent(view.period));
    if (!view.rows) return setText('status', text.loading);

    var total = view.rows.reduce(function (sum, row) { return sum + row.n_users; }, 0);
    setText('status', text.summaryLine(total, view.rows.length));
    drawChart(byId('chart-state'), combine(view.rows, 'state_code', labelOf('states')));
    drawChart(byId('chart-specialty'), combine(view.rows, 'specialty', labelOf('specialties')));
  }

  function getJson(url) {
    return fetch(url, { headers: { accept: 'application/json' } }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    });
  }

  function loadPeriod(period) {
    view.period = period;
    view.rows = null;
    render();
    return getJson('stats/by-state-specialty?limit=5000&period=' + encodeURIComponent(period)).then(function (rows) {
      if (view.period !== period) return;
      view.rows = rows;
      history.replaceState(null, '', '#' + period);
      render();
    });
  }

  function fail() { view.failed = true; render(); }

  document.querySelectorAll('button[data-lang]').forEach(function (button) {
    button.addEventListener('click', function () {
      view.lang = button.getAttribute('data-lang');
      try { localStorage.setItem('owh-lang', view.lang); } catch (e) { /* storage off */ }
      render();
    });
  });
  byId('period').addEventListener('change', function (event) { loadPeriod(event.target.value).catch(fail); });
  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { if (view.rows) render(); }, 150);
  });

  render();
  getJson('stats/summary').then(function (summary) {
    view.summary = summary;
    if (!summary.periods.length) return render();
    var wanted = location.hash.slice(1);
    return loadPeriod(summary.periods.indexOf(wanted) >= 0 ? wanted : summary.latest_period);
  }).catch(fail);
})();
`;

const byCode = (entries: readonly { code: string; de: string; en: string }[]) =>
  Object.fromEntries(entries.map(({ code, de, en }) => [code, { de, en }]));
/** JSON inside a <script>: `<` is escaped so that no label could ever close the element. */
// Cells are keyed by department group (or not_specified); months published before the app's vocabulary by
// the first vocabulary's specialties, which keep their labels.
const SPECIALTY_LABELS = [...LEGACY_SPECIALTIES, ...DEPARTMENT_GROUPS, NOT_SPECIFIED_LABEL];
const TAXONOMY_JSON = JSON.stringify({ states: byCode(STATES), specialties: byCode(SPECIALTY_LABELS) }).replace(/</g, '\\u003c');
const SCRIPT = SCRIPT_TEMPLATE.replace('__TAXONOMY__', TAXONOMY_JSON);

export const STATISTICS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open Working Hours</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1 id="title">Real working hours of hospital doctors</h1>
  <nav aria-label="Language / Sprache"><button type="button" data-lang="de">DE</button> <button type="button" data-lang="en">EN</button></nav>
</header>
<main>
  <p id="intro"></p>
  <div class="controls" id="controls" hidden>
    <label for="period" id="period-label">Month</label>
    <select id="period"></select>
    <a id="csv" href="stats/by-state-specialty?format=csv"></a>
  </div>
  <p id="status" role="status"></p>
  <noscript><p>This page needs JavaScript. The data is also available as <a href="stats/by-state-specialty?format=csv">CSV</a>.</p></noscript>
  <div id="charts" hidden>
    <section>
      <h2 id="h-state"></h2>
      <div class="legend"><span><span class="swatch actual"></span><span class="legend-actual"></span></span><span><span class="swatch planned"></span><span class="legend-planned"></span></span><span><span class="swatch whisker"></span><span class="legend-whisker"></span></span></div>
      <div class="chart" id="chart-state"></div>
    </section>
    <section>
      <h2 id="h-specialty"></h2>
      <div class="legend"><span><span class="swatch actual"></span><span class="legend-actual"></span></span><span><span class="swatch planned"></span><span class="legend-planned"></span></span><span><span class="swatch whisker"></span><span class="legend-whisker"></span></span></div>
      <div class="chart" id="chart-specialty"></div>
    </section>
  </div>
  <section>
    <h2 id="protection"></h2>
    <p id="protection-text"></p>
    <p id="combined-note" class="muted"></p>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

export const STATISTICS_PAGE_CSP = selfContainedPageCsp({ script: SCRIPT, style: STYLE, img: "data:" });
