/**
 * The public statistics page (`GET /`): one self-contained HTML document in German and English, no external
 * resources (it works offline and needs no build step). It reads `/stats/summary`, `/stats/marginals` (Germany,
 * states, department groups and professions, first) and `/stats/by-state-specialty` (each state × department,
 * on demand) and draws the bar charts as inline SVG.
 *
 * Safety: every value from the server reaches the page through `textContent` or `setAttribute` on elements
 * the script creates, never as HTML; the Content-Security-Policy admits exactly this script and this style
 * (by hash), so nothing else could run even if that rule were broken. The only values in the HTML itself
 * are the operator's links (IMPRINT_URL, PRIVACY_URL, CONTACT_EMAIL: validated in config, escaped here).
 *
 * The script is plain browser JavaScript kept in a string (not compiled by TypeScript); the browser test in
 * `test/routes/public-page.browser.test.ts` runs it. It must not contain backticks or `${`.
 */
import { selfContainedPageCsp } from './csp.js';
import { DEPARTMENT_GROUPS, LEGACY_SPECIALTIES, NOT_SPECIFIED_LABEL, PROFESSIONS, STATES } from '../services/taxonomy.js';

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
.chart text.value, .chart text.axis, .chart text.overtime { fill: var(--muted); font-size: 12px; }
.chart rect.actual { fill: var(--actual); }
.chart rect.planned { fill: var(--planned); }
.chart line.grid { stroke: var(--line); }
.chart line.whisker { stroke: var(--whisker); stroke-width: 1.5; }
#empty h2 { margin-bottom: 6px; }
footer { max-width: 960px; margin: 0 auto; padding: 4px 12px 24px; display: flex; flex-wrap: wrap; gap: 4px 20px;
  font-size: 14px; color: var(--muted); }
h3 { margin: 8px 0 4px; font-size: 15px; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; width: 100%; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
[hidden] { display: none !important; }
`;

const SCRIPT_TEMPLATE = String.raw`
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  // Names of states and department groups (also not_specified and the first vocabulary's specialties of older
  // months) in German and English, from the same taxonomy the API validates against.
  var TAXONOMY = __TAXONOMY__;
  var TEXT = {
    en: {
      locale: 'en-GB', title: 'Real working hours in German hospitals',
      intro: 'Monthly averages from doctors and nurses in German hospitals who record their working hours with the Open Working Hours app, by state and by hospital department.',
      month: 'Month', byState: 'By state', bySpecialty: 'By department', actual: 'Actual hours per week',
      planned: 'Planned hours per week', whisker: '90% interval', hours: 'h', people: 'people',
      overtime: 'Overtime (actual − planned)',
      csv: 'Download this month as CSV', loading: 'Loading…',
      noData: 'No statistics have been published yet. A month is published once it is over and enough people have taken part.',
      error: 'The statistics could not be loaded. Please try again later.',
      protection: 'How the figures are protected',
      protectionText: function (m) {
        return 'A group is shown only when its noisy count is at least ' + m.k_min + ' people (for the smallest groups more, so that ' +
          'a group of fewer than ' + Math.ceil(m.k_min / 2) + ' people is almost never shown) and its 90% intervals are within ± ' +
          m.max_half_width_hours + ' hours: a wider interval would say nothing. Each person counts with at most ' +
          m.weekly_hours_cap + ' hours a week. Random noise is drawn once for every possible group, empty ones included ' +
          '(differential privacy, ε = ' + m.epsilon + ' per person and month, which also hides whether a person is counted at all), ' +
          'so that no published number reveals anything precise about one person. The whiskers and the ± values are 90% intervals: ' +
          'the true average of the people counted lies within them with at least 90% probability. Numbers of people are noisy too. ' +
          'A month is published once, ' + m.grace_days + ' days after it ends, and never changed.';
      },
      combined: 'Departments are grouped as in the app (e.g. cardiology counts under internal medicine); “Not specified” is everyone who chose no department. ' +
        'A state or department combines its published groups (one state and department each), weighted by their number of people; the groups are in the CSV file.',
      summaryLine: function (n, g) { return '≈ ' + n + ' people in ' + g + ' published groups.'; },
      emptyTitle: 'What will appear here',
      emptyWhat: 'For every month: the average actual and planned weekly working hours and the overtime of doctors and nurses ' +
        'who record their hours with the Open Working Hours app, by federal state and by hospital department, each with the ' +
        'interval that shows how much the protective noise may move it, and a CSV file of all published groups.',
      emptyWhen: function (m, next, date) {
        return 'A month is published ' + m.grace_days + ' days after it ends: ' + next + ' on ' + date + '. ' +
          'A group appears once enough people in it have recorded complete weeks that month (its noisy count reaches ' + m.k_min + '); ' +
          'smaller groups are not shown, to protect the people in them. Until enough people take part, this page stays empty.';
      },
      imprint: 'Imprint', privacy: 'Privacy policy', contact: 'Contact',
      germany: 'Germany', byProfession: 'By profession', cells: 'Each state and department',
      showCells: 'Show each state and department', hideCells: 'Hide them',
      cellsNote: 'Small groups carry much more noise: read their ± before comparing them.',
      intervalTitle: 'What “± 2.1 h” means',
      intervalText: 'Every figure is the true average of the people counted plus a little random noise that protects them. ' +
        'The ± value is a 90% interval: the true average lies within it with at least 90% probability. ' +
        'A wide interval means the figure is uncertain, usually because the group is small; two figures whose intervals overlap may not differ at all.',
      columns: ['State', 'Department', 'People', 'Actual', 'Planned', 'Overtime']
    },
    de: {
      locale: 'de-DE', title: 'Tatsächliche Arbeitszeiten in deutschen Kliniken',
      intro: 'Monatliche Durchschnittswerte von Ärzt:innen und Pflegekräften in deutschen Kliniken, die ihre Arbeitszeit mit der App Open Working Hours erfassen, nach Bundesland und nach Fachbereich.',
      month: 'Monat', byState: 'Nach Bundesland', bySpecialty: 'Nach Fachbereich', actual: 'Tatsächliche Wochenstunden',
      planned: 'Geplante Wochenstunden', whisker: '90-%-Intervall', hours: 'Std.', people: 'Personen',
      overtime: 'Überstunden (tatsächlich − geplant)',
      csv: 'Diesen Monat als CSV herunterladen', loading: 'Wird geladen…',
      noData: 'Noch keine Statistiken veröffentlicht. Ein Monat wird veröffentlicht, sobald er vorbei ist und genug Personen teilgenommen haben.',
      error: 'Die Statistiken konnten nicht geladen werden. Bitte später erneut versuchen.',
      protection: 'Wie die Zahlen geschützt sind',
      protectionText: function (m) {
        return 'Eine Gruppe wird nur gezeigt, wenn ihre verrauschte Personenzahl mindestens ' + m.k_min + ' beträgt (bei den kleinsten ' +
          'Gruppen mehr, sodass eine Gruppe von weniger als ' + Math.ceil(m.k_min / 2) + ' Personen fast nie erscheint) und ihre 90-%-Intervalle ' +
          'höchstens ± ' + m.max_half_width_hours + ' Stunden betragen: ein breiteres Intervall sagte nichts aus. Jede Person zählt mit höchstens ' +
          m.weekly_hours_cap + ' Stunden pro Woche. Für jede mögliche Gruppe, auch leere, wird einmalig ein zufälliges Rauschen gezogen ' +
          '(Differential Privacy, ε = ' + m.epsilon + ' pro Person und Monat, was auch verbirgt, ob eine Person überhaupt mitgezählt wurde), ' +
          'sodass keine veröffentlichte Zahl etwas Genaues über eine einzelne Person verrät. Die Fehlerbalken und die ±-Werte sind 90-%-Intervalle: ' +
          'der wahre Durchschnitt der gezählten Personen liegt mit mindestens 90 % Wahrscheinlichkeit darin. Auch die Personenzahlen sind verrauscht. ' +
          'Ein Monat wird einmal veröffentlicht, ' + m.grace_days + ' Tage nach seinem Ende, und danach nie geändert.';
      },
      combined: 'Fachbereiche sind wie in der App zusammengefasst (z. B. zählt Kardiologie zur Inneren Medizin); „Keine Angabe“ sind alle, die keinen Fachbereich gewählt haben. ' +
        'Ein Bundesland oder ein Fachbereich fasst die veröffentlichten Gruppen (je ein Bundesland und ein Fachbereich) zusammen, gewichtet nach ihrer Personenzahl; die einzelnen Gruppen stehen in der CSV-Datei.',
      summaryLine: function (n, g) { return '≈ ' + n + ' Personen in ' + g + ' veröffentlichten Gruppen.'; },
      emptyTitle: 'Was hier erscheinen wird',
      emptyWhat: 'Für jeden Monat: die durchschnittlichen tatsächlichen und geplanten Wochenarbeitsstunden und die Überstunden von ' +
        'Ärzt:innen und Pflegekräften, die ihre Arbeitszeit mit der App Open Working Hours erfassen, nach Bundesland und nach ' +
        'Fachbereich, jeweils mit dem Intervall, um das das schützende Rauschen sie verschieben kann, und eine CSV-Datei aller ' +
        'veröffentlichten Gruppen.',
      emptyWhen: function (m, next, date) {
        return 'Ein Monat wird ' + m.grace_days + ' Tage nach seinem Ende veröffentlicht: ' + next + ' am ' + date + '. ' +
          'Eine Gruppe erscheint, sobald genug Personen darin in diesem Monat vollständige Wochen erfasst haben (ihre verrauschte Zahl erreicht ' + m.k_min + '); ' +
          'kleinere Gruppen werden zum Schutz der Beteiligten nicht gezeigt. Solange nicht genug Personen teilnehmen, bleibt diese Seite leer.';
      },
      imprint: 'Impressum', privacy: 'Datenschutzerklärung', contact: 'Kontakt',
      germany: 'Deutschland', byProfession: 'Nach Beruf', cells: 'Jedes Bundesland und jeder Fachbereich',
      showCells: 'Jedes Bundesland und jeden Fachbereich zeigen', hideCells: 'Ausblenden',
      cellsNote: 'Kleine Gruppen sind viel stärker verrauscht: vor einem Vergleich ihr ± lesen.',
      intervalTitle: 'Was „± 2,1 Std.“ bedeutet',
      intervalText: 'Jede Zahl ist der wahre Durchschnitt der gezählten Personen plus ein wenig zufälliges Rauschen, das sie schützt. ' +
        'Der ±-Wert ist ein 90-%-Intervall: Der wahre Durchschnitt liegt mit mindestens 90 % Wahrscheinlichkeit darin. ' +
        'Ein breites Intervall heißt, dass die Zahl unsicher ist, meist weil die Gruppe klein ist; zwei Zahlen, deren Intervalle sich überlappen, unterscheiden sich womöglich gar nicht.',
      columns: ['Bundesland', 'Fachbereich', 'Personen', 'Tatsächlich', 'Geplant', 'Überstunden']
    }
  };

  var view = { lang: pickLanguage(), summary: null, period: null, rows: null, marginals: null, showCells: false, failed: false };
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
  // The next month to be published, seen from today: the previous month until its publication day (its end
  // plus grace_days), the current month after that. Calendar dates only, so no time zone can shift them.
  function nextPublication(graceDays) {
    var now = new Date();
    var publishedOn = function (year, month) { return new Date(Date.UTC(year, month + 1, 1 + graceDays)); };
    var today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
    var year = now.getFullYear(), month = now.getMonth() - 1;
    if (month < 0) { month = 11; year -= 1; }
    if (publishedOn(year, month).getTime() <= today) { year = now.getFullYear(); month = now.getMonth(); }
    var period = year + '-' + (month < 9 ? '0' : '') + (month + 1);
    var date = new Intl.DateTimeFormat(t().locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
      .format(publishedOn(year, month));
    return { month: monthName(period), date: date };
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

  /**
   * A weighted average of one value over rows and its noise interval, or null when no row has the value. The
   * noises of different rows are independent, so the weighted intervals add up as a root of a sum of squares;
   * the interval is null when a row with the value lacks it (months published before it was computed), unless
   * missing intervals count as 0 (the actual hours' interval, as always shown).
   */
  function weighted(rows, value, interval, missingIntervalIsZero) {
    var n = 0, sum = 0, squares = 0, known = true;
    rows.forEach(function (row) {
      if (typeof row[value] !== 'number') return;
      n += row.n_users;
      sum += row.n_users * row[value];
    });
    if (!n) return null;
    rows.forEach(function (row) {
      if (typeof row[value] !== 'number') return;
      var half = row[interval], w = row.n_users / n;
      if (typeof half !== 'number') { if (missingIntervalIsZero) half = 0; else known = false; }
      if (known) squares += w * w * half * half;
    });
    return { mean: sum / n, ci: known ? Math.sqrt(squares) : null };
  }

  /** Rows of one month combined per state or department group, weighted by the (rounded) number of people. */
  function combine(rows, key, label) {
    var groups = {};
    rows.forEach(function (row) { (groups[row[key]] || (groups[row[key]] = [])).push(row); });
    return Object.keys(groups).map(function (k) {
      var members = groups[k];
      var actual = weighted(members, 'avg_weekly_hours', 'actual_ci_half', true);
      return {
        key: k,
        label: label(k),
        n: members.reduce(function (sum, row) { return sum + row.n_users; }, 0),
        actual: actual.mean,
        ci: actual.ci,
        planned: weighted(members, 'avg_planned_weekly_hours', 'planned_ci_half', false),
        overtime: weighted(members, 'avg_overtime_weekly_hours', 'overtime_ci_half', false)
      };
    }).sort(function (a, b) { return a.label.localeCompare(b.label, t().locale); });
  }

  /**
   * A figure of GET /stats/marginals as a chart group. These figures come from the release itself (every level
   * measured and made consistent), so they are shown as they are, never recombined from cells.
   */
  function fromMarginal(row, label) {
    return {
      key: row.state_code || row.department_group || row.profession || 'DEU',
      label: label,
      n: row.n_display,
      actual: row.actual_mean_hours,
      ci: row.actual_ci_half,
      planned: { mean: row.planned_mean_hours, ci: row.planned_ci_half },
      overtime: { mean: row.overtime_mean_hours, ci: row.overtime_ci_half }
    };
  }
  function marginalsOf(level, codeKey, label) {
    return view.marginals.filter(function (row) { return row.level === level; }).map(function (row) {
      return fromMarginal(row, label(row[codeKey]));
    }).sort(function (a, b) { return a.label.localeCompare(b.label, t().locale); });
  }

  /** The state × department rows of the month as a table, on demand. */
  function drawCells(container, rows) {
    container.textContent = '';
    var text = t();
    var table = document.createElement('table');
    var head = table.createTHead().insertRow();
    text.columns.forEach(function (name) { var th = document.createElement('th'); th.textContent = name; head.appendChild(th); });
    var body = table.createTBody();
    var stateLabel = labelOf('states'), groupLabel = labelOf('specialties');
    rows.slice().sort(function (a, b) {
      return stateLabel(a.state_code).localeCompare(stateLabel(b.state_code), text.locale) || groupLabel(a.specialty).localeCompare(groupLabel(b.specialty), text.locale);
    }).forEach(function (row) {
      var tr = body.insertRow();
      tr.setAttribute('data-key', row.state_code + '|' + row.specialty);
      var part = function (mean, ci) { return typeof mean === 'number' ? withInterval({ mean: mean, ci: typeof ci === 'number' ? ci : null }) : '–'; };
      [stateLabel(row.state_code), groupLabel(row.specialty), '≈ ' + row.n_users, part(row.avg_weekly_hours, row.actual_ci_half),
        part(row.planned_mean_hours, row.planned_ci_half), part(row.overtime_mean_hours, row.overtime_ci_half)].forEach(function (value) {
        tr.insertCell().textContent = value;
      });
    });
    container.appendChild(table);
  }

  /** A horizontal noise interval (whisker) at height y, cut at the plot's edges; an end is marked only where it lies inside. */
  function whisker(row, x, scaleMax, center, half, y, kind) {
    svg('line', { class: 'whisker ' + kind, x1: x(center - half), x2: x(center + half), y1: y, y2: y, 'data-half-width': half }, row);
    [center - half, center + half].forEach(function (end) {
      if (end >= 0 && end <= scaleMax) svg('line', { class: 'whisker', x1: x(end), x2: x(end), y1: y - 4, y2: y + 4 }, row);
    });
  }
  function signed(value, digits) { return (value > 0 ? '+' : '') + number(value, digits); }
  function withInterval(part) {
    return number(part.mean, 1) + ' ' + t().hours + (part.ci === null ? '' : ' ± ' + number(part.ci, 1));
  }

  function drawChart(container, groups) {
    container.textContent = '';
    // Drawn at the container's own width, so that text keeps its size on a phone.
    var width = Math.max(300, Math.round(container.clientWidth || 640)), left = 8, right = 8, top = 22, rowHeight = 76;
    // The scale follows the bars and the actual hours' interval; the wider planned interval is cut at the edge.
    var maxValue = groups.reduce(function (m, g) { return Math.max(m, g.actual + g.ci, g.planned ? g.planned.mean : 0); }, 0);
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
      var text = t();
      var hint = g.label + ': ' + text.actual + ' ' + withInterval({ mean: g.actual, ci: g.ci }) +
        (g.planned === null ? '' : '; ' + text.planned + ' ' + withInterval(g.planned)) +
        (g.overtime === null ? '' : '; ' + text.overtime + ' ' + withInterval(g.overtime)) + '; ≈ ' + g.n + ' ' + text.people;
      svg('title', {}, row).textContent = hint;
      svg('text', { class: 'label', x: left, y: y + 13 }, row).textContent = g.label;
      svg('text', { class: 'value', x: width - right, y: y + 13, 'text-anchor': 'end' }, row).textContent = '≈ ' + g.n + ' ' + text.people;
      svg('rect', { class: 'actual', x: left, y: y + 19, height: 14, width: Math.max(1, x(g.actual) - left), 'data-hours': g.actual }, row);
      svg('text', { class: 'value', x: x(g.actual + g.ci) + 6, y: y + 30 }, row).textContent = number(g.actual, 1) + ' ' + text.hours;
      whisker(row, x, scaleMax, g.actual, g.ci, y + 26, 'actual');
      if (g.planned !== null) {
        var planned = g.planned;
        svg('rect', { class: 'planned', x: left, y: y + 37, height: 10, width: Math.max(1, x(planned.mean) - left), 'data-hours': planned.mean }, row);
        if (planned.ci !== null) whisker(row, x, scaleMax, planned.mean, planned.ci, y + 42, 'planned');
        svg('text', { class: 'value', x: x(planned.mean + (planned.ci || 0)) + 6, y: y + 46 }, row).textContent = number(planned.mean, 1) + ' ' + text.hours;
      }
      if (g.overtime !== null) {
        var overtime = g.overtime;
        svg('text', { class: 'overtime', x: left, y: y + 64, 'data-hours': overtime.mean, 'data-half-width': overtime.ci === null ? '' : overtime.ci }, row)
          .textContent = text.overtime + ': ' + signed(overtime.mean, 1) + ' ' + text.hours + (overtime.ci === null ? '' : ' (± ' + number(overtime.ci, 1) + ')');
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
    document.querySelectorAll('[data-text]').forEach(function (el) { el.textContent = text[el.getAttribute('data-text')]; });
    ['germany', 'byProfession', 'cells', 'cellsNote', 'intervalTitle', 'intervalText'].forEach(function (id) { setText('t-' + id, text[id]); });
    setText('toggle-cells', view.showCells ? text.hideCells : text.showCells);
    byId('toggle-cells').setAttribute('aria-expanded', String(view.showCells));
    byId('chart-state').setAttribute('data-title', text.byState);
    byId('chart-specialty').setAttribute('data-title', text.bySpecialty);

    var summary = view.summary;
    var hasData = Boolean(summary && summary.periods.length);
    byId('charts').hidden = !hasData || !view.rows;
    byId('controls').hidden = !hasData;
    byId('empty').hidden = !summary || hasData || view.failed;
    if (summary && !hasData) {
      var next = nextPublication(summary.methodology.grace_days);
      setText('empty-title', text.emptyTitle);
      setText('empty-what', text.emptyWhat);
      setText('empty-when', text.emptyWhen(summary.methodology, next.month, next.date));
    }
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
    var germany = (view.marginals || []).filter(function (row) { return row.level === 'germany'; })[0];
    // Months of the current method: Germany and the levels first, as released. Older months have only their
    // groups, which the page combines as before.
    byId('germany-section').hidden = !germany;
    byId('profession-section').hidden = !germany;
    if (germany) {
      drawChart(byId('chart-germany'), [fromMarginal(germany, text.germany)]);
      drawChart(byId('chart-profession'), marginalsOf('profession', 'profession', labelOf('professions')));
      drawChart(byId('chart-state'), marginalsOf('state', 'state_code', labelOf('states')));
      drawChart(byId('chart-specialty'), marginalsOf('department_group', 'department_group', labelOf('specialties')));
    } else {
      drawChart(byId('chart-state'), combine(view.rows, 'state_code', labelOf('states')));
      drawChart(byId('chart-specialty'), combine(view.rows, 'specialty', labelOf('specialties')));
    }
    byId('combined-note').hidden = Boolean(germany);
    byId('cells').hidden = !view.showCells;
    if (view.showCells) drawCells(byId('cells-table'), view.rows);
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
    view.marginals = null;
    render();
    return Promise.all([
      getJson('stats/by-state-specialty?limit=5000&period=' + encodeURIComponent(period)),
      getJson('stats/marginals?period=' + encodeURIComponent(period))
    ]).then(function (answers) {
      if (view.period !== period) return;
      view.rows = answers[0];
      view.marginals = answers[1];
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
  byId('toggle-cells').addEventListener('click', function () { view.showCells = !view.showCells; render(); });
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
const TAXONOMY_JSON = JSON.stringify({ states: byCode(STATES), specialties: byCode(SPECIALTY_LABELS), professions: byCode(PROFESSIONS) }).replace(/</g, '\\u003c');
const SCRIPT = SCRIPT_TEMPLATE.replace('__TAXONOMY__', TAXONOMY_JSON);

/** The operator's links at the foot of the page (IMPRINT_URL, PRIVACY_URL, CONTACT_EMAIL); each only when set. */
export interface PublicPageLinks {
  imprintUrl: string | null;
  privacyUrl: string | null;
  contactEmail: string | null;
}

/** For attribute values and text in the HTML: the links come from configuration, not from code. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function footer(links: PublicPageLinks): string {
  const items: string[] = [];
  // English until the script sets the reader's language (data-text).
  if (links.imprintUrl) items.push(`<a href="${escapeHtml(links.imprintUrl)}" data-text="imprint">Imprint</a>`);
  if (links.privacyUrl) items.push(`<a href="${escapeHtml(links.privacyUrl)}" data-text="privacy">Privacy policy</a>`);
  if (links.contactEmail) {
    const address = escapeHtml(links.contactEmail);
    items.push(`<span><span data-text="contact">Contact</span>: <a href="mailto:${address}">${address}</a></span>`);
  }
  return items.length > 0 ? `<footer id="legal">${items.join('')}</footer>\n` : '';
}

/** The page for these links. The script and style, and so the Content-Security-Policy, are the same for all. */
export function statisticsPageHtml(links: PublicPageLinks): string {
  return `<!doctype html>
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
  <h1 id="title">Real working hours in German hospitals</h1>
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
  <section id="empty" hidden>
    <h2 id="empty-title"></h2>
    <p id="empty-what"></p>
    <p id="empty-when"></p>
  </section>
  <noscript><p>This page needs JavaScript. The data is also available as <a href="stats/by-state-specialty?format=csv">CSV</a>.</p></noscript>
  <div id="charts" hidden>
    <section id="germany-section" hidden>
      <h2 id="t-germany"></h2>
      <div class="chart" id="chart-germany"></div>
      <h3 id="t-intervalTitle"></h3>
      <p id="t-intervalText"></p>
    </section>
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
    <section id="profession-section" hidden>
      <h2 id="t-byProfession"></h2>
      <div class="chart" id="chart-profession"></div>
    </section>
    <section>
      <h2 id="t-cells"></h2>
      <p><button type="button" id="toggle-cells" aria-expanded="false" aria-controls="cells"></button></p>
      <div id="cells" hidden>
        <p id="t-cellsNote" class="muted"></p>
        <div id="cells-table" class="table"></div>
      </div>
    </section>
  </div>
  <section>
    <h2 id="protection"></h2>
    <p id="protection-text"></p>
    <p id="combined-note" class="muted"></p>
  </section>
</main>
${footer(links)}<script>${SCRIPT}</script>
</body>
</html>
`;
}

export const STATISTICS_PAGE_CSP = selfContainedPageCsp({ script: SCRIPT, style: STYLE, img: "data:" });
