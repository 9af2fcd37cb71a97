/**
 * The report page: one self-contained HTML file (no external resource, so it opens offline and
 * can be mailed): summary counts, network state, controls, and a sortable, filterable table of
 * targets; each row opens to the verdict's reasons, a timing waterfall beside the control's, and,
 * where a throttling test ran, the transfer rates as a small chart. Charts are plain inline SVG.
 *
 * Every string from a report is untrusted (target URLs, reasons, server titles in reasons, failure
 * strings): it reaches the page only through {@link escapeHtml}, and no report data is put inside
 * the script. A Content-Security-Policy allows nothing but the page's own inline style and script
 * (by hash), so even a missed escape could not load or run anything. docs/report-page.md.
 */
import { createHash } from 'node:crypto';
import type { PageEntry, RatePoint, WaterfallStep } from './page-data.js';

/** What the page shows. */
export interface PageInput {
  entries: PageEntry[];
  /** The report files, as given. */
  files: string[];
  /** Lines that were not measurements (bad JSON, other shapes). */
  badLines: number;
  /** ISO-8601 UTC. */
  generatedAt: string;
  softwareVersion: string;
  /** Label order and human text for the summary (src/runner/labels.ts). */
  labels: { id: string; text: string; blocked: boolean }[];
}

/** Escapes `& < > " '` for HTML text and double- or single-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const STEP_COLOUR: Record<string, string> = {
  DNS: '#6a8fd8',
  connect: '#52a675',
  TLS: '#b07cc6',
  'first byte': '#e0a040',
  body: '#7fb7c9',
  control: '#888888',
};

function fmtS(s: number): string {
  return s >= 10 ? `${s.toFixed(1)} s` : s >= 1 ? `${s.toFixed(2)} s` : `${Math.round(s * 1000)} ms`;
}

function fmtRate(bps: number): string {
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbit/s`;
  return `${Math.round(bps / 1e3)} kbit/s`;
}

/**
 * The waterfall of one measurement as inline SVG: the probe's steps, then the control's bar, on one
 * time axis (s since the measurement started). A failed step is drawn hatched red with its failure
 * string in the tooltip.
 */
export function waterfallSvg(probe: WaterfallStep[], control: WaterfallStep[]): string {
  const rows = [...probe.map((s) => ({ s, who: 'probe' })), ...control.map((s) => ({ s, who: 'control' }))];
  if (rows.length === 0) return '<p class="muted">No timed steps recorded.</p>';
  const max = Math.max(0.001, ...rows.map((r) => r.s.t));
  const labelW = 120;
  const w = 360;
  const rowH = 16;
  const h = rows.length * rowH + 18;
  const out: string[] = [`<svg class="wf" role="img" aria-label="timing waterfall" width="${labelW + w + 70}" height="${h}" viewBox="0 0 ${labelW + w + 70} ${h}">`];
  rows.forEach(({ s, who }, i) => {
    const y = i * rowH;
    const x = labelW + (Math.max(0, s.t0) / max) * w;
    const bw = Math.max(1.5, ((s.t - Math.max(0, s.t0)) / max) * w);
    const name = `${who === 'control' ? 'control' : s.step}${s.depth > 0 ? ` (hop ${s.depth})` : ''}`;
    const colour = s.failure !== null ? '#d9534f' : (STEP_COLOUR[s.step] ?? '#999');
    const tip = `${name}: ${fmtS(Math.max(0, s.t0))} to ${fmtS(s.t)}${s.detail ? `, ${s.detail}` : ''}${s.failure !== null ? `, failed: ${s.failure}` : ''}`;
    out.push(`<text x="0" y="${y + 12}" class="wl${who === 'control' ? ' ctl' : ''}">${escapeHtml(name)}</text>`);
    out.push(`<rect x="${x.toFixed(1)}" y="${y + 3}" width="${bw.toFixed(1)}" height="${rowH - 5}" fill="${colour}"${s.failure !== null ? ' class="failed"' : ''}><title>${escapeHtml(tip)}</title></rect>`);
    out.push(`<text x="${(x + bw + 4).toFixed(1)}" y="${y + 12}" class="wv">${escapeHtml(fmtS(s.t - Math.max(0, s.t0)))}${s.failure !== null ? ` ${escapeHtml(s.failure.slice(0, 40))}` : ''}</text>`);
  });
  out.push(`<line x1="${labelW}" y1="${h - 16}" x2="${labelW + w}" y2="${h - 16}" class="axis"/>`);
  out.push(`<text x="${labelW}" y="${h - 3}" class="wv">0</text><text x="${labelW + w}" y="${h - 3}" class="wv" text-anchor="end">${escapeHtml(fmtS(max))}</text>`);
  out.push('</svg>');
  return out.join('');
}

/** The throttling test's transfer rates as a bar chart (target vs reference per trial), inline SVG. */
export function ratesSvg(points: RatePoint[]): string {
  const usable = points.filter((p) => p.goodputBps !== null);
  if (usable.length === 0) return '';
  const max = Math.max(...usable.map((p) => p.goodputBps as number), 1);
  const trials = [...new Set(points.map((p) => p.trial))].sort((a, b) => a - b);
  const bw = 12;
  const gw = bw * 2 + 8;
  const h = 90;
  const w = 50 + trials.length * gw;
  const out: string[] = [`<svg class="rates" role="img" aria-label="throttling transfer rates" width="${w}" height="${h + 20}" viewBox="0 0 ${w} ${h + 20}">`];
  out.push(`<text x="0" y="10" class="wv">${escapeHtml(fmtRate(max))}</text><text x="0" y="${h}" class="wv">0</text>`);
  trials.forEach((trial, i) => {
    (['target', 'reference'] as const).forEach((arm, j) => {
      const p = points.find((q) => q.trial === trial && q.arm === arm);
      const x = 50 + i * gw + j * (bw + 2);
      if (p === undefined) return;
      const v = p.goodputBps;
      const bh = v === null ? 0 : Math.max(1, (v / max) * (h - 14));
      const tip = `trial ${trial + 1}, ${arm}: ${v === null ? 'no usable rate' : fmtRate(v)}`;
      if (v === null) out.push(`<text x="${x}" y="${h}" class="wv">×<title>${escapeHtml(tip)}</title></text>`);
      else out.push(`<rect x="${x}" y="${(h - bh).toFixed(1)}" width="${bw}" height="${bh.toFixed(1)}" class="${arm}"><title>${escapeHtml(tip)}</title></rect>`);
    });
    out.push(`<text x="${50 + i * gw}" y="${h + 14}" class="wv">${trial + 1}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

function count<T extends string>(list: T[]): [T, number][] {
  const m = new Map<T, number>();
  for (const x of list) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fafafa}
body{margin:0 auto;max-width:1200px;padding:16px}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}
.muted{color:#666}.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:1.5em}.card.blocked b{color:#c0392b}.card.ok b{color:#27ae60}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e4e4e4;padding:5px 6px;text-align:left;vertical-align:top;font-size:.92em}
th{cursor:pointer;user-select:none;background:#f0f0f0;position:sticky;top:0}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.url{word-break:break-all;min-width:260px;max-width:460px}summary{cursor:pointer}
.v{font-weight:600;white-space:nowrap}.v.blocked{color:#c0392b}.v.accessible{color:#27ae60}.v.other{color:#b9770e}
.controls{display:flex;gap:8px;margin:8px 0;flex-wrap:wrap}input,select{font:inherit;padding:4px}
.wf text,.rates text{font-size:11px;font-family:inherit}.wl{fill:#333}.wl.ctl{fill:#666;font-style:italic}.wv{fill:#555}
.axis{stroke:#aaa}.failed{stroke:#900;stroke-width:1}.rates .target{fill:#d9534f}.rates .reference{fill:#5b8def}
.detail{display:flex;flex-wrap:wrap;gap:18px;margin:6px 0}ul.reasons{margin:4px 0;padding-left:18px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px}
`;

// The page's only script: sorting and filtering of the table rows already in the page (no data in it).
const SCRIPT = `
(function(){
  var table=document.getElementById('targets');var body=table.tBodies[0];
  var rows=Array.prototype.slice.call(body.rows);
  var q=document.getElementById('filter');var sel=document.getElementById('verdict');var shown=document.getElementById('shown');
  function apply(){
    var text=q.value.trim().toLowerCase();var v=sel.value;var n=0;
    rows.forEach(function(r){
      var ok=(v===''||r.getAttribute('data-label')===v)&&(text===''||r.getAttribute('data-search').indexOf(text)>=0);
      r.hidden=!ok;if(ok)n++;
    });
    shown.textContent=String(n);
  }
  q.addEventListener('input',apply);sel.addEventListener('change',apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){
      var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){o.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',dir);
      var num=th.getAttribute('data-type')==='number';
      rows.sort(function(a,b){
        var x=a.cells[i].getAttribute('data-sort');var y=b.cells[i].getAttribute('data-sort');
        var c=num?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);
        return dir==='ascending'?c:-c;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  apply();
})();
`;

/** Renders the page. Pure (given the input); the output is UTF-8 HTML with no external reference. */
export function renderReportPage(p: PageInput): string {
  const e = escapeHtml;
  const blocked = new Set(p.labels.filter((l) => l.blocked).map((l) => l.id));
  const textOf = new Map(p.labels.map((l) => [l.id, l.text]));
  const counts = count(p.entries.map((x) => x.label));
  const scriptHash = createHash('sha256').update(SCRIPT).digest('base64');
  const times = p.entries.map((x) => x.measuredAt).filter((t) => t !== '').sort();
  const h: string[] = [];
  h.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">');
  h.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:">`);
  h.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  h.push(`<title>censorprobe report: ${p.entries.length} measurements</title><style>${STYLE}</style></head><body>`);
  h.push(`<h1>censorprobe report</h1><p class="muted">${p.entries.length} measurement${p.entries.length === 1 ? '' : 's'} from ${p.files.map((f) => `<code>${e(f)}</code>`).join(', ')}`);
  if (times.length > 0) h.push(`, measured ${e(times[0] as string)} to ${e(times[times.length - 1] as string)}`);
  h.push(`${p.badLines > 0 ? `; ${p.badLines} unreadable line${p.badLines === 1 ? '' : 's'} left out` : ''}. Page made by censorprobe ${e(p.softwareVersion)} on ${e(p.generatedAt)}.</p>`);

  h.push('<h2>Summary</h2><div class="cards" id="summary">');
  for (const l of p.labels) {
    const n = counts.find(([id]) => id === l.id)?.[1] ?? 0;
    if (n === 0) continue;
    h.push(`<div class="card${blocked.has(l.id) ? ' blocked' : l.id === 'accessible' ? ' ok' : ''}" data-label="${e(l.id)}"><b>${n}</b>${e(l.text)}</div>`);
  }
  h.push('</div>');

  h.push('<h2>Network state</h2>');
  const states = count(p.entries.map((x) => x.vantage ?? 'not checked'));
  h.push(`<p id="network">${states.map(([s, n]) => `${e(s)}: ${n}`).join(', ')}. <span class="muted">Baseline checks tell a local outage or shutdown from per-site blocking; verdicts made while the network was not normal are inconclusive.</span></p>`);
  const sources = count(p.entries.map((x) => x.controlSource));
  const ages = p.entries.map((x) => x.controlAgeS).filter((a): a is number => a !== null);
  h.push(`<p id="controls">Controls: ${sources.map(([s, n]) => `${e(s)} ${n}`).join(', ')}${ages.length > 0 ? `; recorded controls ${e(fmtAge(Math.min(...ages)))} to ${e(fmtAge(Math.max(...ages)))} old when used` : ''}.</p>`);

  h.push('<h2>Targets</h2><div class="controls"><input id="filter" type="search" placeholder="filter: URL, category, reason..." aria-label="filter"><select id="verdict" aria-label="verdict"><option value="">all verdicts</option>');
  for (const [id, n] of counts) h.push(`<option value="${e(id)}">${e(textOf.get(id) ?? id)} (${n})</option>`);
  h.push(`</select><span class="muted"><span id="shown">${p.entries.length}</span> shown</span></div>`);
  h.push(`<p class="legend muted">Waterfall: ${Object.entries(STEP_COLOUR).map(([k, c]) => `<span style="background:${c}"></span>${e(k)}`).join('')}<span style="background:#d9534f"></span>failed. Rates: <span style="background:#d9534f"></span>target <span style="background:#5b8def"></span>reference</p>`);
  h.push('<table id="targets"><thead><tr><th data-type="text">Target</th><th data-type="text">Verdict</th><th data-type="text">Category</th><th data-type="text">Evidence</th><th data-type="number">Time</th></tr></thead><tbody>');
  for (const x of p.entries) {
    const cls = blocked.has(x.label) ? 'blocked' : x.label === 'accessible' ? 'accessible' : 'other';
    const search = [x.input, x.label, x.category ?? '', ...x.reasons, ...x.fingerprints].join(' ').toLowerCase();
    const first = x.reasons[0] ?? '';
    h.push(`<tr data-label="${e(x.label)}" data-search="${e(search)}">`);
    h.push(`<td class="url" data-sort="${e(x.input)}"><details><summary>${e(x.input)}</summary><div class="detail"><div><b>Probe and control</b><br>${waterfallSvg(x.probe, x.control)}</div>`);
    if (x.rates.length > 0) h.push(`<div><b>Throttling test</b>${x.throttlingOutcome !== null ? ` (${e(x.throttlingOutcome)})` : ''}<br>${ratesSvg(x.rates)}</div>`);
    else if (x.screeningGoodputBps !== null) h.push(`<div><b>Download rate</b><br>${e(fmtRate(x.screeningGoodputBps))}</div>`);
    h.push(`</div><ul class="reasons">${x.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ul>`);
    if (x.untested.length > 0) h.push(`<p class="untested">Advertised (by the site or a host it redirected to) and not tested here: ${x.untested.map(e).join(', ')} (observations.x_untested_variants).</p>`);
    h.push(`<p class="muted">Control: ${e(x.controlSource)}${x.controlFailure !== null ? ` (${e(x.controlFailure)})` : ''}${x.controlAgeS !== null ? `, recorded ${e(fmtAge(x.controlAgeS))} earlier` : ''}. Network: ${e(x.vantage ?? 'not checked')}. Measured ${e(x.measuredAt)}.</p></details></td>`);
    h.push(`<td data-sort="${e(x.label)}"><span class="v ${cls}">${e(textOf.get(x.label) ?? x.label)}</span><br><span class="muted">${e(x.status)}</span></td>`);
    h.push(`<td data-sort="${e(x.category ?? '')}">${e(x.category ?? '')}</td>`);
    h.push(`<td data-sort="${e(first)}">${e(first)}${x.fingerprints.length > 0 ? `<br><span class="muted">fingerprints: ${x.fingerprints.map(e).join(', ')}</span>` : ''}</td>`);
    h.push(`<td data-sort="${x.runtimeS}">${e(fmtS(x.runtimeS))}</td></tr>`);
  }
  h.push('</tbody></table>');
  h.push(`<script>${SCRIPT}</script></body></html>\n`);
  return h.join('');
}

function fmtAge(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
