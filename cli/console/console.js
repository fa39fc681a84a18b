/*
 * console.js - eddy's web console.  Talks only to the REST API the server
 * documents (README.md, "Server"):
 *   POST /ksql          SHOW STREAMS/TABLES/QUERIES (every few seconds),
 *                       EXPLAIN <id> (the operator graph), the statement box
 *   GET  /metrics       records in/out and lag per query (Prometheus text),
 *                       turned into rates and small charts
 *   POST /query-stream  a SELECT from the statement box, read as it arrives
 *   POST /close-query   the Stop button
 * No framework and no build step: the server embeds this file as it is.
 */
'use strict';

const CATALOG_EVERY_MS = 3000;
const METRICS_EVERY_MS = 2000;
const MAX_ROWS_SHOWN = 1000;        /* a query's rows kept on the page, the newest */
const HISTORY = 30;                 /* samples kept per chart (a minute) */
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (sel) => document.querySelector(sel);

/* el('td', {class: 'num'}, 'text', child...): an element with attributes and children. */
function el(tag, attrs, ...children) {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4))
                                   : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children)
    if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

/* ---- the API ------------------------------------------------------------ */

class ApiError extends Error {
  constructor(body, status) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.body = body || {};
    this.status = status;
  }
}

async function postJson(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
    body: JSON.stringify(body),
  });
}

/* The entities of statements run through /ksql; ApiError with ksqlDB's error body. */
async function ksql(text) {
  const r = await postJson('/ksql', {ksql: text, streamsProperties: {}});
  const body = await r.json().catch(() => null);
  if (!r.ok)
    throw new ApiError(body, r.status);
  return body;
}

/* Prometheus text -> [{name, labels, value}]. */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m)
      continue;                               /* comments (# HELP, # TYPE) and blanks */
    const labels = {};
    for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    out.push({name: m[1], labels, value: Number(m[3])});
  }
  return out;
}

/* Prometheus text -> Map(query id -> {metric name: value}).  A query's
 * figure is its line with no other label than query, or else the sum of
 * its lines (split by partition, say). */
function queryFigures(text) {
  const per = new Map(), parts = new Map();
  for (const m of parseMetrics(text)) {
    const id = m.labels.query;
    if (id === undefined)
      continue;
    const q = per.get(id) || {};
    per.set(id, q);
    const key = `${id}\n${m.name}`;
    if (Object.keys(m.labels).length === 1) {
      q[m.name] = m.value;
      parts.set(key, null);                     /* the total wins */
    } else if (parts.get(key) !== null) {
      parts.set(key, (parts.get(key) || 0) + m.value);
      q[m.name] = parts.get(key);
    }
  }
  return per;
}

/* ---- streams, tables, queries ------------------------------------------- */

let selectedQuery = null;           /* the query whose graph is shown */
const history = new Map();          /* query id -> {last: {t, in, out}, inRate: [], outRate: [], lag: []} */

function sourceRows(tbody, list) {
  tbody.replaceChildren(...list.map((s) => {
    const name = el('a', {class: 'name', title: 'query it in the statement box'}, s.name);
    name.addEventListener('click', () => {
      $('#sql').value = `SELECT * FROM ${s.name} EMIT CHANGES;`;
      $('#sql').focus();
    });
    return el('tr', {'data-name': s.name}, el('td', {}, name), el('td', {}, s.topic),
              el('td', {}, s.keyFormat), el('td', {}, s.valueFormat));
  }));
}

/* A small chart of the last HISTORY samples, the newest on the right. */
function spark(values, cls) {
  const w = 90, h = 22, step = w / (HISTORY - 1);
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => [w - (values.length - 1 - i) * step, h - 2 - v * (h - 4) / max]);
  const last = pts[pts.length - 1];
  return el('svg:svg', {class: `spark ${cls}`, width: w, height: h, viewBox: `0 0 ${w} ${h}`},
            el('svg:line', {x1: 0, y1: h - 1, x2: w, y2: h - 1, class: 'base'}),
            el('svg:polyline', {points: pts.map((p) => p.map((n) => n.toFixed(1)).join(',')).join(' ')}),
            last ? el('svg:circle', {cx: last[0].toFixed(1), cy: last[1].toFixed(1), r: 2}) : null);
}

function fmt(v) {
  if (v === undefined || Number.isNaN(v))
    return '–';
  return v >= 100 ? Math.round(v).toLocaleString('en') : String(Number(v.toFixed(v >= 10 ? 1 : 2)));
}

function renderQueries(queries) {
  const tbody = $('#queries tbody');
  tbody.replaceChildren(...queries.map((q) => {
    const h = history.get(q.id) || {inRate: [], outRate: [], lag: []};
    const last = (a) => a[a.length - 1];
    const name = el('a', {class: 'name', title: q.queryString}, q.id);
    name.addEventListener('click', () => showGraph(q.id));
    return el('tr', {'data-query': q.id, class: q.id === selectedQuery ? 'selected' : null},
              el('td', {}, name), el('td', {}, q.state),
              el('td', {class: 'num rate-in'}, spark(h.inRate, 'in'), fmt(last(h.inRate))),
              el('td', {class: 'num rate-out'}, spark(h.outRate, 'out'), fmt(last(h.outRate))),
              el('td', {class: 'num lag'}, spark(h.lag, 'lag'), fmt(last(h.lag))));
  }));
  if (queries.length === 0)
    tbody.append(el('tr', {}, el('td', {colspan: 5, class: 'muted'}, 'no persistent queries')));
}

let lastQueries = [];

async function refreshCatalog() {
  try {
    const [streams, tables, queries] = await ksql('SHOW STREAMS; SHOW TABLES; SHOW QUERIES;');
    sourceRows($('#streams tbody'), streams.streams);
    sourceRows($('#tables tbody'), tables.tables);
    lastQueries = queries.queries.filter((q) => q.queryType !== 'PUSH');
    renderQueries(lastQueries);
    if (selectedQuery === null && lastQueries.length > 0)
      showGraph(lastQueries[0].id);
    setConn(true);
  } catch (e) {
    setConn(false, e.message);
  }
}

async function refreshMetrics() {
  try {
    const r = await fetch('/metrics');
    if (!r.ok)
      throw new Error(`/metrics: HTTP ${r.status}`);
    const now = performance.now() / 1000;
    const per = queryFigures(await r.text());
    for (const [id, q] of per) {
      const h = history.get(id) || {last: null, inRate: [], outRate: [], lag: []};
      const cur = {t: now, in: q.eddy_query_records_in_total, out: q.eddy_query_records_out_total};
      if (h.last && cur.t > h.last.t) {
        const dt = cur.t - h.last.t;
        if (Number.isFinite(cur.in - h.last.in))      /* both samples have it */
          push(h.inRate, Math.max(0, (cur.in - h.last.in) / dt));
        if (Number.isFinite(cur.out - h.last.out))
          push(h.outRate, Math.max(0, (cur.out - h.last.out) / dt));
      }
      /* absent while not known: the chart keeps its last value out */
      if (q.eddy_query_lag_records !== undefined)
        push(h.lag, q.eddy_query_lag_records);
      h.last = cur;
      history.set(id, h);
    }
    renderQueries(lastQueries);
  } catch (e) {
    setConn(false, e.message);
  }
}

function push(a, v) {
  a.push(v);
  if (a.length > HISTORY)
    a.shift();
}

function setConn(ok, why) {
  const c = $('#conn');
  c.className = ok ? 'conn' : 'conn bad';
  c.textContent = ok ? '' : `server not answering: ${why}`;
}

/* ---- the operator graph (EXPLAIN) --------------------------------------- */

/* EXPLAIN's plan: a node per "> Op details" line, indented two spaces a
 * level below its consumer, with its own lines (schema, state stores)
 * indented under it.  -> the root {op, detail, info[], children[]}. */
function parsePlan(text) {
  const lines = text.split('\n');
  const after = lines.indexOf('Execution plan:');         /* -1: the plan alone */
  let i = lines.findIndex((l, k) => k > after && l.startsWith('> '));
  if (i < 0)
    return null;
  const stack = [];
  let root = null, last = null;
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const m = /^( *)> (\S+) ?(.*)$/.exec(lines[i]);
    if (!m) {
      if (last)
        last.info.push(lines[i].trim());
      continue;
    }
    const depth = m[1].length / 2;
    const node = {op: m[2], detail: m[3], info: [], children: []};
    if (depth === 0)
      root = node;
    else if (stack[depth - 1])
      stack[depth - 1].children.push(node);
    stack.length = depth;
    stack[depth] = node;
    last = node;
  }
  return root;
}

/* Top-down: the sources on top, data flowing down to the sink.  Leaves
 * take columns left to right; a node sits over the middle of its inputs. */
function drawPlan(root) {
  const W = 230, H = 46, GX = 20, GY = 34;
  const nodes = [];
  let leaves = 0, height = 0;
  (function place(n, depth) {
    n.depth = depth;
    height = Math.max(height, depth);
    n.children.forEach((c) => place(c, depth + 1));
    n.col = n.children.length ? n.children.reduce((s, c) => s + c.col, 0) / n.children.length : leaves++;
    nodes.push(n);
  })(root, 0);
  const x = (n) => 10 + n.col * (W + GX);
  const y = (n) => 10 + (height - n.depth) * (H + GY);
  const svg = el('svg:svg', {id: 'plan', width: 20 + leaves * (W + GX) - GX, height: 20 + (height + 1) * (H + GY) - GY},
    el('svg:defs', {}, el('svg:marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
                                          markerWidth: 7, markerHeight: 7, orient: 'auto'},
                         el('svg:path', {d: 'M0,0 L10,5 L0,10 z', fill: '#7a8396'}))));
  for (const n of nodes)
    for (const c of n.children) {
      const x1 = x(c) + W / 2, y1 = y(c) + H, x2 = x(n) + W / 2, y2 = y(n);
      svg.append(el('svg:path', {class: 'edge', d: `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`}));
    }
  for (const n of nodes) {
    const detail = n.detail.length > 31 ? n.detail.slice(0, 30) + '…' : n.detail;
    svg.append(el('svg:g', {class: 'node', 'data-op': n.op, transform: `translate(${x(n)},${y(n)})`},
      el('svg:title', {}, [n.op + ' ' + n.detail, ...n.info].join('\n')),
      el('svg:rect', {width: W, height: H}),
      el('svg:text', {x: 10, y: 18, class: 'op'}, n.op),
      el('svg:text', {x: 10, y: 36}, detail)));
  }
  return svg;
}

async function showGraph(id) {
  selectedQuery = id;
  renderQueries(lastQueries);
  $('#graph-title').textContent = id;
  try {
    const [entity] = await ksql(`EXPLAIN ${id};`);
    /* eddy's plan text ("text"; ksqlDB's queryDescription has it as executionPlan) */
    const text = entity.text || entity.executionPlan || '';
    const root = parsePlan(text);
    if (selectedQuery !== id)
      return;                                   /* another was picked meanwhile */
    $('#graph').replaceChildren(root ? drawPlan(root) : el('pre', {}, text || JSON.stringify(entity)));
  } catch (e) {
    $('#graph').replaceChildren(el('div', {class: 'error'}, errorText(e)));
  }
}

/* ---- the statement box --------------------------------------------------- */

let running = null;                 /* {queryId, abort} while a query streams */

function errorText(e) {
  if (!(e instanceof ApiError))
    return e.message;
  const b = e.body;
  return (b.error_code ? `${b.error_code}: ` : '') + (b.message || e.message) +
         (b.statementText ? `\nin: ${b.statementText}` : '');
}

function showError(e) {
  $('#error').hidden = false;
  $('#error').textContent = errorText(e);
}

function status(text) {
  $('#run-status').textContent = text;
}

function cell(v) {
  return el('td', {}, v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));
}

function entityView(ent) {
  switch (ent['@type']) {
  case 'currentStatus':
    return el('div', {class: 'status'}, ent.commandStatus.message || ent.commandStatus.status);
  case 'streams': case 'tables': case 'queries': case 'kafka_topics': {
    const list = ent[ent['@type'] === 'kafka_topics' ? 'topics' : ent['@type']];
    const cols = list.length ? Object.keys(list[0]) : [];
    return el('table', {}, el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', {}, c)))),
              el('tbody', {}, ...list.map((r) => el('tr', {}, ...cols.map((c) => cell(r[c]))))));
  }
  case 'eddy_text':
    return el('pre', {}, ent.text);
  default:
    return el('pre', {}, JSON.stringify(ent, null, 2));
  }
}

async function runStatements(text) {
  const entities = await ksql(text);
  $('#result').replaceChildren(...entities.map(entityView));
  status(`${entities.length} statement${entities.length === 1 ? '' : 's'} done`);
  refreshCatalog();
}

/* A SELECT through /query-stream: the metadata line, then a JSON array a
 * row, shown as each line arrives; ends with the response (LIMIT, Stop,
 * or a pull query's last row). */
async function runQuery(text) {
  const abort = new AbortController();
  const r = await fetch('/query-stream', {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'Accept': 'application/vnd.ksqlapi.delimited.v1'},
    body: JSON.stringify({sql: text, properties: {'auto.offset.reset': $('#offset').value}}),
    signal: abort.signal,
  });
  if (!r.ok)
    throw new ApiError(await r.json().catch(() => null), r.status);
  running = {queryId: null, abort};
  $('#stop').disabled = false;
  const tbody = el('tbody', {});
  const thead = el('thead', {});
  $('#result').replaceChildren(el('table', {id: 'rows'}, thead, tbody));
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buf = '', rows = 0;
  const onLine = (line) => {
    const v = JSON.parse(line);
    if (Array.isArray(v)) {
      tbody.append(el('tr', {}, ...v.map(cell)));
      if (tbody.rows.length > MAX_ROWS_SHOWN)
        tbody.rows[0].remove();                   /* a busy push query must not fill the tab */
      rows++;
      status(`query ${running.queryId}: ${rows} row${rows === 1 ? '' : 's'}` +
             (rows > MAX_ROWS_SHOWN ? ` (the last ${MAX_ROWS_SHOWN} shown)` : ''));
    } else if (v.columnNames) {
      running.queryId = v.queryId;
      thead.append(el('tr', {}, ...v.columnNames.map((c, i) => el('th', {title: v.columnTypes[i]}, c))));
      status(`query ${v.queryId} running`);
    } else if (v.message) {
      throw new ApiError(v, 200);
    }
  };
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done)
        break;
      buf += decoder.decode(value, {stream: true});
      for (let nl; (nl = buf.indexOf('\n')) >= 0; buf = buf.slice(nl + 1))
        if (buf.slice(0, nl).trim())
          onLine(buf.slice(0, nl));
    }
    if (buf.trim())
      onLine(buf);
    status(`query ${running.queryId} ended: ${rows} row${rows === 1 ? '' : 's'}`);
  } catch (e) {
    if (e.name !== 'AbortError')
      throw e;
    status(`query ${running.queryId} stopped: ${rows} row${rows === 1 ? '' : 's'}`);
  } finally {
    running = null;
    $('#stop').disabled = true;
  }
}

async function stop() {
  if (!running)
    return;
  const q = running;
  /* The server ends the response once the query is closed; a query it no
   * longer knows (already ended) is only cut off here. */
  const r = q.queryId ? await postJson('/close-query', {queryId: q.queryId}).catch(() => null) : null;
  if (!r || !r.ok)
    q.abort.abort();
}

async function run() {
  const text = $('#sql').value.trim();
  if (!text || running)
    return;
  $('#error').hidden = true;
  $('#result').replaceChildren();
  $('#run').disabled = true;
  status('running…');
  try {
    /* A SELECT (after any comments) streams; anything else goes to /ksql. */
    if (/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*SELECT\b/i.test(text))
      await runQuery(text);
    else
      await runStatements(text);
  } catch (e) {
    showError(e);
    status('failed');
  } finally {
    $('#run').disabled = false;
  }
}

/* ---- start --------------------------------------------------------------- */

$('#run').addEventListener('click', run);
$('#stop').addEventListener('click', stop);
$('#sql').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    run();
  }
});
fetch('/info').then((r) => r.json()).then((i) => {
  $('#server-info').textContent = `server ${i.KsqlServerInfo.version} · ${location.host}`;
}).catch(() => {});
refreshCatalog();
refreshMetrics();
setInterval(refreshCatalog, CATALOG_EVERY_MS);
setInterval(refreshMetrics, METRICS_EVERY_MS);
