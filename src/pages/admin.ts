/**
 * The admin dashboard: one self-contained HTML page (no build step, no external resources, so it works
 * offline and behind any firewall). It reads the JSON endpoints under `/admin` with the browser's Basic
 * credentials and refreshes itself every 30 seconds without reloading.
 *
 * Safety rules the script follows: every value from the server (feedback text, app state, log lines,
 * dates) reaches the page through `textContent` or `setAttribute` on elements the script creates, never as
 * HTML. The Content-Security-Policy allows exactly this script and this style (by hash), so even a mistake
 * there could not run injected code.
 *
 * Every time on the page is the server's TIMEZONE (which defines days and months everywhere in the service),
 * in one format, `YYYY-MM-DD HH:MM:SS`, whatever the browser's own time zone.
 *
 * The script is plain browser JavaScript kept in a string (it is not compiled by TypeScript); the browser
 * tests in `test/routes/admin.browser.test.ts` execute it. It must not contain backticks or `${`.
 */
import { selfContainedPageCsp } from './csp.js';

const STYLE = String.raw`
:root { color-scheme: light dark; --bg: #f6f7f9; --panel: #fff; --text: #1d2430; --muted: #5d6878; --line: #dde2e8;
  --accent: #2463c7; --ok: #1f7a3f; --warn: #a15c00; --bad: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14181f; --panel: #1d232c; --text: #e6e9ee; --muted: #9aa5b4; --line: #313a46; --accent: #6ea3ff;
    --ok: #5cc27f; --warn: #e0a040; --bad: #ff7a70; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 4px 16px;
  padding: 12px 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 18px; }
h1 span { color: var(--muted); font-weight: normal; }
h2 { margin: 0 0 10px; font-size: 16px; }
main { max-width: 1100px; margin: 0 auto; padding: 12px; display: grid; gap: 12px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
.muted, #status { color: var(--muted); font-size: 13px; margin: 0; }
#status.error { color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { display: block; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card .value { display: block; font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { display: block; color: var(--muted); font-size: 13px; }
.chart svg { display: block; width: 100%; height: 160px; }
.chart rect.bar { fill: var(--accent); }
.chart rect.bar.today { opacity: .55; }
.chart line { stroke: var(--line); }
.axis { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num { font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 10px; }
select, input, button { font: inherit; font-size: 14px; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px;
  background: var(--panel); color: var(--text); max-width: 100%; }
input[type=search] { flex: 1 1 160px; min-width: 0; }
ul.feedback, ol.logs { list-style: none; margin: 0; padding: 0; }
ul.feedback li { border-top: 1px solid var(--line); padding: 10px 0; }
.fb-head { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
.fb-text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0; }
.fb-meta { color: var(--muted); font-size: 13px; margin: 0; overflow-wrap: anywhere; }
details pre { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 240px; overflow: auto; background: var(--bg); padding: 6px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; border: 1px solid currentColor; }
.status-new { color: var(--accent); } .status-resolved { color: var(--ok); } .status-dismissed { color: var(--muted); }
.run-success { color: var(--ok); } .run-failed { color: var(--bad); } .run-skipped { color: var(--warn); }
ol.logs li { border-top: 1px solid var(--line); padding: 4px 0; display: grid; grid-template-columns: auto auto 1fr; gap: 0 8px;
  font-size: 13px; }
ol.logs .msg { overflow-wrap: anywhere; }
ol.logs .request .msg { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
#last-publication p { margin: 0 0 4px; }
#last-publication { margin-bottom: 10px; }
ol.logs code { grid-column: 1 / -1; color: var(--muted); overflow-wrap: anywhere; white-space: pre-wrap; }
.lvl-warn { color: var(--warn); } .lvl-error, .lvl-fatal { color: var(--bad); font-weight: 600; } .lvl-debug, .lvl-trace { color: var(--muted); }
@media (max-width: 600px) {
  main { padding: 8px; }
  table.stack thead { display: none; }
  table.stack tr { display: grid; grid-template-columns: repeat(3, 1fr); border-bottom: 1px solid var(--line); padding: 4px 0; }
  table.stack td { border: 0; padding: 2px 4px; }
  table.stack td:nth-child(4) { grid-column: span 2; }
  table.stack td::before { content: attr(data-label) " "; display: block; color: var(--muted); font-size: 11px; }
  table.runs td:nth-child(4) { grid-column: 1 / -1; }
}
`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var REFRESH_MS = 30000;
  var STATUSES = ['new', 'resolved', 'dismissed'];
  // Warnings and errors first: the request lines of 'info' would bury them (the server's default as well).
  var state = { timezone: undefined, feedbackFilter: '', logLevel: 'warn', logSearch: '' };
  var numberFormat = new Intl.NumberFormat('en-US');

  function $(id) { return document.getElementById(id); }

  // Builds an element; children are nodes or strings, and strings always become text, never markup.
  function h(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        if (key === 'className') node.className = props[key];
        else if (key === 'text') node.textContent = props[key];
        else node.setAttribute(key, props[key]);
      });
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    return node;
  }

  function setText(id, value) { $(id).textContent = value; }
  function count(n) { return numberFormat.format(n); }
  function plural(n, one, many) { return count(n) + ' ' + (n === 1 ? one : many); }
  function hours(minutes) {
    var m = minutes % 60;
    return Math.floor(minutes / 60) + ':' + (m < 10 ? '0' : '') + m;
  }
  // The one time format of the page: YYYY-MM-DD HH:MM:SS in the server's TIMEZONE (from /admin/data, which
  // is always read first), never the browser's zone.
  var timeFormat = null;
  var timeFormatZone = null;
  function when(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    if (!timeFormat || timeFormatZone !== state.timezone) {
      timeFormatZone = state.timezone;
      timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: state.timezone || 'UTC', year: 'numeric', month: '2-digit',
        day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    }
    var parts = {};
    timeFormat.formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + '-' + parts.month + '-' + parts.day + ' ' + parts.hour + ':' + parts.minute + ':' + parts.second;
  }

  function api(path, options) {
    var init = Object.assign({ credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } }, options || {});
    return fetch(path, init).then(function (response) {
      if (response.ok) return response.json();
      return response.json().then(
        function (body) { throw new Error(body && body.detail ? body.detail : 'HTTP ' + response.status); },
        function () { throw new Error('HTTP ' + response.status); }
      );
    });
  }

  function renderData(data) {
    state.timezone = data.timezone;
    state.generatedAt = data.generated_at;
    setText('users-registered', count(data.users.registered));
    setText('users-pending', count(data.users.pending) + ' pending');
    setText('events-total', count(data.work_events.total));
    setText('events-24h', count(data.work_events.last_24h));
    setText('active-24h', plural(data.active_users.last_24h, 'active user', 'active users'));
    setText('events-7d', count(data.work_events.last_7d));
    setText('active-7d', plural(data.active_users.last_7d, 'active user', 'active users'));
    setText('published-cells', count(data.published_cells));
    renderAggregation(data.last_publication, data.recent_aggregations);
    renderChart(data.submissions_per_day);
    renderRecent(data.recent_submissions);
  }

  // The last run that published says when the public figures last changed; the daily runs in between
  // usually find nothing to do, so they are listed below it, each with its own message.
  function renderAggregation(published, runs) {
    var box = $('last-publication');
    if (!published) {
      box.replaceChildren(h('p', { className: 'muted', text: 'Nothing published yet.' }));
    } else {
      box.replaceChildren(
        h('p', null, ['Last publication ', h('strong', { text: when(published.finished_at) }), ' (' + published.trigger + ')']),
        h('p', { className: 'muted', text: published.message })
      );
    }
    var body = $('aggregation-runs');
    if (runs.length === 0) {
      body.replaceChildren(h('tr', null, [h('td', { colspan: '4', className: 'muted', text: 'No runs yet' })]));
      return;
    }
    body.replaceChildren.apply(body, runs.map(function (run) {
      return h('tr', { 'data-run': run.run_id }, [
        h('td', { 'data-label': 'Started', text: when(run.started_at) }),
        h('td', { 'data-label': 'Trigger', text: run.trigger }),
        h('td', { 'data-label': 'Outcome' }, [h('span', { className: 'badge run-' + run.status, text: run.status })]),
        h('td', { 'data-label': 'Message', className: run.status === 'failed' ? 'run-failed' : '', text: run.message })
      ]);
    }));
  }

  function renderChart(days) {
    var width = 300, height = 100, gap = 1;
    var max = Math.max.apply(null, days.map(function (d) { return d.count; }).concat([1]));
    var total = days.reduce(function (sum, d) { return sum + d.count; }, 0);
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, preserveAspectRatio: 'none', role: 'img',
      'aria-label': 'Submissions per day for the last ' + days.length + ' days: ' + total + ' in total, at most ' + max + ' a day' });
    var barWidth = width / days.length;
    days.forEach(function (day, i) {
      var barHeight = day.count === 0 ? 0 : Math.max(1, (day.count / max) * (height - 2));
      var bar = svg('rect', { 'class': i === days.length - 1 ? 'bar today' : 'bar', x: i * barWidth + gap / 2,
        y: height - barHeight, width: Math.max(0.5, barWidth - gap), height: barHeight, 'data-date': day.date, 'data-count': day.count });
      var title = svg('title', {});
      title.textContent = day.date + ': ' + day.count;
      bar.appendChild(title);
      chart.appendChild(bar);
    });
    chart.appendChild(svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, 'vector-effect': 'non-scaling-stroke' }));
    $('chart').replaceChildren(chart);
    setText('chart-max', 'max ' + count(max) + ' per day, ' + count(total) + ' in 30 days');
    setText('chart-first', days.length ? days[0].date : '');
    setText('chart-last', days.length ? days[days.length - 1].date + ' (today)' : '');
  }

  function renderRecent(rows) {
    var body = $('recent-body');
    if (rows.length === 0) {
      body.replaceChildren(h('tr', null, [h('td', { colspan: '5', className: 'muted', text: 'No submissions yet' })]));
      return;
    }
    body.replaceChildren.apply(body, rows.map(function (row) {
      return h('tr', null, [
        h('td', { 'data-label': 'Day', text: row.date }),
        h('td', { 'data-label': 'Planned', className: 'num', text: hours(row.planned_minutes) }),
        h('td', { 'data-label': 'Actual', className: 'num', text: hours(row.actual_minutes) }),
        h('td', { 'data-label': 'Submitted', text: when(row.submitted_at) }),
        h('td', { 'data-label': 'User', className: 'mono', text: row.user })
      ]);
    }));
  }

  function loadData() { return api('/admin/data').then(renderData); }

  function renderFeedback(result) {
    setText('feedback-new', count(result.counts.new));
    setText('feedback-counts', count(result.counts.new) + ' new, ' + count(result.counts.resolved) + ' resolved, ' +
      count(result.counts.dismissed) + ' dismissed');
    var list = $('feedback-list');
    // Do not rebuild the list under the admin's hands while a status menu is in use.
    if (list.contains(document.activeElement)) return;
    if (result.reports.length === 0) {
      list.replaceChildren(h('li', { className: 'muted', text: 'No feedback reports' }));
      return;
    }
    list.replaceChildren.apply(list, result.reports.map(feedbackItem));
  }

  function feedbackItem(report) {
    var badge = h('span', { className: 'badge status-' + report.status, text: report.status });
    var select = h('select', { 'aria-label': 'Status', 'data-id': report.id },
      STATUSES.map(function (s) { return h('option', { value: s, text: s }); }));
    select.value = report.status;
    select.addEventListener('change', function () {
      var wanted = select.value;
      select.disabled = true;
      api('/admin/feedback/' + encodeURIComponent(report.id), {
        method: 'PATCH', headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ status: wanted })
      }).then(function (updated) {
        report.status = updated.status;
        badge.className = 'badge status-' + updated.status;
        badge.textContent = updated.status;
        showStatus('Feedback marked ' + updated.status);
        select.blur();
        return loadFeedback();
      }).catch(function (error) {
        select.value = report.status;
        showError('Could not change the status: ' + error.message);
      }).then(function () { select.disabled = false; });
    });
    var meta = [];
    if (report.app_version) meta.push('app ' + report.app_version + (report.build_number ? ' (' + report.build_number + ')' : ''));
    if (report.platform) meta.push(report.platform + (report.os_version ? ' ' + report.os_version : ''));
    else if (report.os_version) meta.push('OS ' + report.os_version);
    if (report.device_model) meta.push(report.device_model);
    meta.push(report.user ? 'user ' + report.user : 'anonymous');
    var item = h('li', { 'data-id': report.id }, [
      h('div', { className: 'fb-head' }, [h('span', { className: 'muted', text: when(report.created_at) }), badge, select]),
      // The app sends reports without text (only its diagnostics); say so instead of an empty line.
      report.description ? h('p', { className: 'fb-text', text: report.description })
        : h('p', { className: 'fb-text muted', text: '(no description)' }),
      h('p', { className: 'fb-meta', text: meta.join(' \u00b7 ') })
    ]);
    if (report.app_state) {
      item.appendChild(h('details', null, [h('summary', { text: 'App state' }),
        h('pre', { text: JSON.stringify(report.app_state, null, 2) })]));
    }
    return item;
  }

  function loadFeedback() {
    var query = state.feedbackFilter ? '?status=' + encodeURIComponent(state.feedbackFilter) : '';
    return api('/admin/feedback' + query).then(renderFeedback);
  }

  // Fastify logs each request twice: 'incoming request' with method and URL, 'request completed' with the
  // status and response time, linked by reqId. Shown as one line: GET /path -> 200 in 3.1 ms.
  function requestOf(record, msg) {
    return record.msg === msg && record.fields && typeof record.fields.reqId === 'string' ? record.fields.reqId : null;
  }

  function requestLine(record, incoming) {
    var req = incoming && incoming.fields.req ? incoming.fields.req : null;
    var res = record.fields.res || {};
    var what = req ? req.method + ' ' + req.url : 'request ' + record.fields.reqId;
    var took = typeof record.fields.responseTime === 'number' ? ' in ' + record.fields.responseTime.toFixed(1) + ' ms' : '';
    return what + ' → ' + (res.statusCode === undefined ? '?' : res.statusCode) + took;
  }

  function renderLogs(result) {
    var incoming = {};
    var completed = {};
    result.records.forEach(function (record) {
      var id = requestOf(record, 'incoming request');
      if (id) incoming[id] = record;
      id = requestOf(record, 'request completed');
      if (id) completed[id] = true;
    });
    // The completion line stands for both; an incoming request without one is still in flight (or cut off).
    var shown = result.records.filter(function (record) {
      var id = requestOf(record, 'incoming request');
      return !(id && completed[id]);
    });
    var worker = result.worker;
    // Each worker process keeps its own records; say whose these are when there are several.
    var whose = worker.workers > 1
      ? ' by worker ' + worker.slot + ' of ' + worker.workers + ' (process ' + worker.pid + '; each worker keeps its own, a refresh may show another)'
      : '';
    setText('log-count', shown.length + ' shown, ' + result.buffered + ' of ' + result.capacity + ' records kept in memory' + whose);
    var list = $('log-list');
    if (shown.length === 0) {
      list.replaceChildren(h('li', { className: 'muted', text: 'No matching log records' }));
      return;
    }
    list.replaceChildren.apply(list, shown.map(function (record) {
      var completion = requestOf(record, 'request completed');
      var text = completion ? requestLine(record, incoming[completion]) : record.msg;
      var children = [
        h('time', { className: 'muted', datetime: record.time, text: when(record.time) }),
        h('span', { className: 'lvl-' + record.level, text: record.level }),
        h('span', { className: 'msg', text: text })
      ];
      if (!completion && Object.keys(record.fields).length > 0) children.push(h('code', { text: JSON.stringify(record.fields) }));
      return h('li', { 'data-level': record.level, className: completion ? 'request' : '' }, children);
    }));
  }

  function loadLogs() {
    var params = new URLSearchParams();
    params.set('level', state.logLevel);
    if (state.logSearch) params.set('search', state.logSearch);
    var query = params.toString();
    return api('/admin/logs' + (query ? '?' + query : '')).then(renderLogs);
  }

  function showStatus(text) {
    var status = $('status');
    status.className = '';
    status.textContent = text;
  }
  function showError(text) {
    var status = $('status');
    status.className = 'error';
    status.textContent = text;
  }

  var refreshing = false;
  function refresh() {
    if (refreshing) return Promise.resolve();
    refreshing = true;
    return loadData()
      .then(function () { return Promise.all([loadFeedback(), loadLogs()]); })
      .then(function () {
        showStatus('Updated ' + when(state.generatedAt) + ' \u00b7 times in ' + state.timezone + ' \u00b7 refreshes every 30 s');
      })
      .catch(function (error) { showError('Could not refresh: ' + error.message); })
      .then(function () { refreshing = false; });
  }

  $('feedback-filter').addEventListener('change', function (event) {
    state.feedbackFilter = event.target.value;
    loadFeedback().catch(function (error) { showError(error.message); });
  });
  $('log-level').addEventListener('change', function (event) {
    state.logLevel = event.target.value;
    loadLogs().catch(function (error) { showError(error.message); });
  });
  var searchTimer = null;
  $('log-search').addEventListener('input', function (event) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      state.logSearch = event.target.value.trim();
      loadLogs().catch(function (error) { showError(error.message); });
    }, 250);
  });
  $('refresh').addEventListener('click', function () { refresh(); });

  setInterval(function () { if (!document.hidden) refresh(); }, REFRESH_MS);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
  refresh();
})();
`;

const card = (label: string, valueId: string, subId?: string) =>
  `<div class="card"><span class="label">${label}</span><span class="value" id="${valueId}">–</span>` +
  (subId ? `<span class="sub" id="${subId}"></span>` : '') +
  `</div>`;

// `warn` is preselected, as it is the server's default; `trace` shows every record.
const logLevelOptions = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
  .map((level) => `<option value="${level}"${level === 'warn' ? ' selected' : ''}>${level === 'trace' ? 'all levels' : `${level} and above`}</option>`)
  .join('');

export const ADMIN_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Open Working Hours · Admin</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Open Working Hours <span>admin</span></h1>
  <p id="status" role="status">Loading…</p>
</header>
<main>
  <section aria-labelledby="overview-title">
    <div class="toolbar"><h2 id="overview-title">Overview</h2><button type="button" id="refresh">Refresh now</button></div>
    <div class="cards">
      ${card('Users registered', 'users-registered', 'users-pending')}
      ${card('Work events', 'events-total')}
      ${card('Last 24 hours', 'events-24h', 'active-24h')}
      ${card('Last 7 days', 'events-7d', 'active-7d')}
      ${card('Published cells', 'published-cells')}
      ${card('New feedback', 'feedback-new')}
    </div>
  </section>
  <section aria-labelledby="aggregation-title">
    <h2 id="aggregation-title">Statistics publication</h2>
    <div id="last-publication"><p class="muted">Nothing published yet.</p></div>
    <table class="stack runs">
      <thead><tr><th>Started</th><th>Trigger</th><th>Outcome</th><th>Message</th></tr></thead>
      <tbody id="aggregation-runs"></tbody>
    </table>
  </section>
  <section aria-labelledby="chart-title" class="chart">
    <h2 id="chart-title">Submissions per day, last 30 days</h2>
    <p class="muted" id="chart-max"></p>
    <div id="chart"></div>
    <div class="axis"><span id="chart-first"></span><span id="chart-last"></span></div>
  </section>
  <section aria-labelledby="recent-title">
    <h2 id="recent-title">Recent submissions</h2>
    <table class="stack">
      <thead><tr><th>Day</th><th>Planned</th><th>Actual</th><th>Submitted</th><th>User</th></tr></thead>
      <tbody id="recent-body"></tbody>
    </table>
  </section>
  <section aria-labelledby="feedback-title">
    <div class="toolbar">
      <h2 id="feedback-title">Feedback</h2>
      <select id="feedback-filter" aria-label="Show feedback with status">
        <option value="">all</option><option value="new">new</option><option value="resolved">resolved</option><option value="dismissed">dismissed</option>
      </select>
      <span class="muted" id="feedback-counts"></span>
    </div>
    <ul class="feedback" id="feedback-list"></ul>
  </section>
  <section aria-labelledby="logs-title">
    <div class="toolbar">
      <h2 id="logs-title">Server logs</h2>
      <select id="log-level" aria-label="Minimum log level">${logLevelOptions}</select>
      <input type="search" id="log-search" placeholder="Search logs" aria-label="Search logs">
    </div>
    <p class="muted" id="log-count"></p>
    <ol class="logs" id="log-list"></ol>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

export const ADMIN_PAGE_CSP = selfContainedPageCsp({ script: SCRIPT, style: STYLE, img: "'none'" });
