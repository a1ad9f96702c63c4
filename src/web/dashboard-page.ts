/**
 * The live dashboard: one self-contained page (no build step, no CDN, works offline) fed by /api/events (SSE).
 * Kept as a string so it ships inside the compiled package.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Faustus</title>
<style>
  :root { --bg:#0f1419; --panel:#182028; --line:#2a3540; --text:#d8e0e8; --dim:#8596a6; --ok:#3fb950; --bad:#f85149; --warn:#d29922; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; gap:16px; align-items:center; padding:12px 20px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  .badge { padding:2px 8px; border-radius:10px; font-size:12px; font-weight:600; }
  .ok { background:var(--ok); color:#000; } .bad { background:var(--bad); color:#000; } .warn { background:var(--warn); color:#000; }
  main { display:grid; grid-template-columns:repeat(auto-fit, minmax(440px, 1fr)); gap:14px; padding:14px 20px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:0; }
  section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.05em; color:var(--dim); margin:0 0 8px; }
  table { border-collapse:collapse; width:100%; } td, th { text-align:left; padding:3px 6px; border-bottom:1px solid var(--line); }
  th { color:var(--dim); font-weight:500; } td.n { text-align:right; font-variant-numeric:tabular-nums; }
  .grid { display:flex; flex-wrap:wrap; gap:3px; margin:4px 0 10px; }
  .cell { width:34px; height:26px; border-radius:4px; display:flex; align-items:center; justify-content:center; font-size:11px; color:#000; font-weight:600; }
  .legend span { display:inline-block; margin-right:12px; } .dot { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; }
  .bar { height:12px; background:var(--line); border-radius:6px; overflow:hidden; } .bar > div { height:100%; background:var(--warn); }
  .dim { color:var(--dim); } .err { color:var(--bad); } svg { display:block; }
  input, button { background:var(--bg); color:var(--text); border:1px solid var(--line); border-radius:4px; padding:4px 8px; }
  pre { margin:6px 0 0; white-space:pre-wrap; word-break:break-all; }
</style>
</head>
<body>
<header>
  <h1 id="app">Faustus</h1>
  <span id="status" class="badge warn" data-testid="status">connecting</span>
  <span class="dim" id="self"></span>
  <span class="dim" id="updated"></span>
</header>
<main>
  <section data-testid="assignment"><h2>Partition assignment (whole group)</h2><div id="legend" class="legend"></div><div id="assignment"></div></section>
  <section data-testid="agents"><h2>Agents</h2><table><thead><tr><th>agent</th><th>topic</th><th>worker</th><th class="n">in</th><th class="n">out</th><th class="n">events/s</th><th class="n">errors</th></tr></thead><tbody id="agents"></tbody></table></section>
  <section data-testid="lag"><h2>Consumer lag per partition (last minutes)</h2><div id="lag"></div></section>
  <section data-testid="recovery"><h2>Table recovery</h2><div id="recovery"></div></section>
  <section data-testid="tables"><h2>Tables</h2><table><thead><tr><th>table</th><th class="n">keys here</th><th>partitions here</th></tr></thead><tbody id="tables"></tbody></table>
    <form id="lookup"><select id="lookup-table"></select> <input id="lookup-key" placeholder="key"> <button>Look up</button></form><pre id="lookup-result" data-testid="lookup-result"></pre></section>
  <section data-testid="errors"><h2>Recent errors</h2><div id="errors" class="dim">none</div></section>
</main>
<script>
"use strict";
const COLORS = ['#58a6ff','#3fb950','#d29922','#bc8cff','#ff7b72','#39c5cf','#f0883e','#a5d6ff'];
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const fmt = (n) => Number(n).toLocaleString('en-US');
let last = null;

function workers(view) {
  const list = [{ url: view.self.url, state: view.self, self: true }];
  for (const m of view.members) list.push({ url: m.url, state: m.state, changelogs: m.changelogs, error: m.error });
  return list;
}

function render(view) {
  last = view;
  const self = view.self;
  $('app').textContent = 'Faustus · ' + self.app;
  const status = self.ready ? ['ready','ok'] : self.recovering ? ['recovering','warn'] : self.rebalancing ? ['rebalancing','warn'] : [self.state,'bad'];
  $('status').textContent = status[0]; $('status').className = 'badge ' + status[1];
  $('self').textContent = self.url + ' · pid ' + self.pid + (self.leader ? ' · leader' : '');
  $('updated').textContent = 'updated ' + new Date(self.time).toLocaleTimeString();
  const all = workers(view);
  const color = new Map(all.map((w, i) => [w.url, COLORS[i % COLORS.length]]));
  $('legend').innerHTML = all.map((w) => '<span data-testid="worker"><i class="dot" style="background:' + color.get(w.url) + '"></i>' + esc(w.url) +
    (w.self ? ' (this)' : '') + (w.state ? (w.state.ready ? ' <b class="badge ok">ready</b>' : ' <b class="badge warn">not ready</b>') : ' <span class="dim">' + esc(w.error || 'not Faustus') + '</span>') + '</span>').join('');
  // topic -> partition -> owner url (actives), from each worker's own report, or the group protocol for others.
  const owners = new Map();
  const own = (topic, p, url, standby) => { if (!owners.has(topic)) owners.set(topic, new Map()); const m = owners.get(topic); if (!standby || !m.has(p)) m.set(p, { url, standby }); };
  for (const w of all) {
    if (w.state) { for (const tp of w.state.actives) own(tp.topic, tp.partition, w.url, false); }
    else for (const [topic, ps] of Object.entries(w.changelogs || {})) for (const p of ps) own(topic, p, w.url, false);
  }
  $('assignment').innerHTML = [...owners.keys()].sort().map((topic) => {
    const m = owners.get(topic); const ps = [...m.keys()].sort((a, b) => a - b);
    return '<div>' + esc(topic) + '</div><div class="grid">' + ps.map((p) => '<div class="cell" data-testid="partition" data-topic="' + esc(topic) + '" data-partition="' + p + '" data-owner="' + esc(m.get(p).url) +
      '" title="' + esc(m.get(p).url) + '" style="background:' + color.get(m.get(p).url) + '">' + p + '</div>').join('') + '</div>';
  }).join('') || '<span class="dim">no partitions assigned yet</span>';
  $('agents').innerHTML = all.flatMap((w) => (w.state ? w.state.agents : []).map((a) => '<tr><td>' + esc(a.name) + '</td><td>' + esc(a.topic) + '</td><td><i class="dot" style="background:' + color.get(w.url) + '"></i></td><td class="n">' +
    fmt(a.eventsIn) + '</td><td class="n">' + fmt(a.eventsOut) + '</td><td class="n">' + fmt(a.rate) + '</td><td class="n">' + fmt(a.errors) + '</td></tr>')).join('');
  $('lag').innerHTML = all.flatMap((w) => (w.state ? w.state.lagHistory : []).map((s) => lagRow(s, color.get(w.url), w.state))).join('') || '<span class="dim">no samples yet</span>';
  const rec = all.flatMap((w) => (w.state ? w.state.recovery : []).map((r) => ({ ...r, url: w.url })));
  $('recovery').innerHTML = rec.length === 0 ? '<span class="dim">nothing recovered</span>' : rec.map((r) => {
    const pct = r.total > 0 ? Math.floor(100 * r.done / r.total) : 100;
    return '<div data-testid="recovery-row" data-finished="' + r.finished + '">' + esc(r.table) + '[' + r.partition + '] <span class="dim">' + fmt(r.done) + '/' + fmt(r.total) + ' ' +
      (r.finished ? 'done' : 'recovering') + ' · ' + esc(r.url) + '</span><div class="bar"><div style="width:' + pct + '%;background:' + (r.finished ? 'var(--ok)' : 'var(--warn)') + '"></div></div></div>';
  }).join('');
  $('tables').innerHTML = all.flatMap((w) => (w.state ? w.state.tables : []).map((t) => '<tr><td>' + esc(t.name) + '</td><td class="n">' + fmt(t.keys) + '</td><td><i class="dot" style="background:' + color.get(w.url) + '"></i>' + t.actives.join(', ') + '</td></tr>')).join('');
  const select = $('lookup-table'); const names = self.tables.map((t) => t.name);
  if (select.options.length !== names.length) select.innerHTML = names.map((n) => '<option>' + esc(n) + '</option>').join('');
  const errors = all.flatMap((w) => (w.state ? w.state.errors : []).map((e) => ({ ...e, url: w.url }))).sort((a, b) => b.time - a.time).slice(0, 20);
  $('errors').innerHTML = errors.length === 0 ? 'none' : errors.map((e) => '<div><span class="dim">' + new Date(e.time).toLocaleTimeString() + '</span> <b class="err">' + esc(e.code) + '</b> ' +
    esc(e.agent || e.topic || '') + ' ' + esc(e.message) + (e.deadLetter ? ' → ' + esc(e.deadLetter) : '') + '</div>').join('');
}

function lagRow(series, color, state) {
  const now = state.lag.find((l) => l.topic === series.topic && l.partition === series.partition);
  const pts = series.points; const W = 220, H = 28;
  const t0 = pts.length ? pts[0][0] : 0, t1 = pts.length ? pts[pts.length - 1][0] : 1;
  const max = Math.max(1, ...pts.map((p) => p[1]));
  const path = pts.map((p, i) => (i ? 'L' : 'M') + ((p[0] - t0) / Math.max(1, t1 - t0) * W).toFixed(1) + ',' + (H - p[1] / max * (H - 2) - 1).toFixed(1)).join('');
  const lag = now ? now.lag : pts.length ? pts[pts.length - 1][1] : 0;
  return '<div style="display:flex;gap:10px;align-items:center" data-testid="lag-row" data-topic="' + esc(series.topic) + '" data-partition="' + series.partition + '" data-lag="' + lag + '">' +
    '<span style="width:180px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap"><i class="dot" style="background:' + color + '"></i>' + esc(series.topic) + '[' + series.partition + ']</span>' +
    '<svg width="' + W + '" height="' + H + '"><path d="' + path + '" fill="none" stroke="' + color + '" stroke-width="1.5"/></svg><b>' + fmt(lag) + '</b></div>';
}

$('lookup').addEventListener('submit', async (event) => {
  event.preventDefault();
  const table = $('lookup-table').value, key = $('lookup-key').value;
  const response = await fetch('/table/' + encodeURIComponent(table) + '/' + encodeURIComponent(key));
  $('lookup-result').textContent = response.status + ' ' + await response.text();
});

function connect() {
  const source = new EventSource('/api/events');
  source.onmessage = (message) => render(JSON.parse(message.data));
  source.onerror = () => { $('status').textContent = 'disconnected'; $('status').className = 'badge bad'; };
}
connect();
</script>
</body>
</html>
`
