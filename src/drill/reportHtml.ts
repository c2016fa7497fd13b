import { metricRows, verdictLine } from './reportMarkdown.js';
import type { DrillResult } from './result.js';
import type { Timeline } from './timeline.js';

/**
 * The drill as one self-contained HTML page: inline CSS and an inline SVG
 * timeline, no script and nothing fetched, so it can be attached to a
 * ticket or opened from a CI artifact as it is. Pure: result in, text out.
 */

export function esc(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const plus = (ms: number) => `+${(ms / 1000).toFixed(1)} s`;

const PHASE_FILL: Record<string, string> = {
  probe: '#eef2f7',
  fault: '#fde2e1',
  dwell: '#fff1d6',
  promote: '#dcebff',
  revert: '#e4f5e4',
  recover: '#efe4fb',
};

function phaseFill(name: string): string {
  return PHASE_FILL[name] ?? (name.startsWith('read') ? '#f1f1f1' : '#f4f4f4');
}

/** The timeline as SVG: per cluster, acknowledged writes (up) and errors (down) per bucket, receipts as a line; phases as bands; steps as marks. */
export function timelineSvg(t: Timeline, phases: DrillResult['phases'], nominalPerBucket?: number): string {
  const W = 1100;
  const left = 110;
  const right = 20;
  const top = 58;
  const lane = 110;
  const lanes = [
    ...t.series.map((s) => ({ name: s.cluster, acks: s.acks, errors: s.errors, receipts: s.receipts })),
    { name: 'no connection', acks: [] as number[], errors: t.unsent, receipts: [] as number[] },
  ];
  // The stale client writes a tenth as fast or less: a scale of its own, or its bars would be a pixel high.
  const stale = t.stale ? { name: 'stale client', acks: t.stale.acks, errors: t.stale.errors, receipts: [] as number[] } : undefined;
  if (stale) lanes.push(stale);
  const H = top + lanes.length * lane + 40;
  const pw = W - left - right;
  const spanMs = t.buckets * t.bucketMs;
  const x = (ms: number) => left + (Math.max(0, Math.min(spanMs, ms)) / spanMs) * pw;
  const bw = Math.max(0.5, pw / t.buckets);
  // Writes and errors share one scale; receipts (bursty after a move) have their own, so neither flattens the other.
  // Acknowledgements arrive in bursts after a stall; scaling to the burst would flatten the steady rate, so
  // the scale stops at three times the probe's rate per bucket and taller bars are cut (and say so).
  const seen = Math.max(1, ...lanes.filter((l) => l !== stale).flatMap((l) => [...l.acks, ...l.errors]));
  const stalePeak = stale ? Math.max(1, ...stale.acks, ...stale.errors) : 1;
  const peak = nominalPerBucket ? Math.min(seen, Math.max(1, Math.ceil(nominalPerBucket * 3))) : seen;
  const receiptPeak = Math.max(1, ...lanes.flatMap((l) => l.receipts));
  const half = lane / 2 - 12;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="probe timeline" font-family="system-ui, sans-serif" font-size="11">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  // Phase bands, labelled above the plot.
  phases.forEach((p, i) => {
    const x0 = x(p.at);
    const x1 = x(p.endAt ?? p.at);
    const w = Math.max(1.5, x1 - x0);
    out.push(`<rect x="${x0.toFixed(1)}" y="${top - 6}" width="${w.toFixed(1)}" height="${(lanes.length * lane + 6).toFixed(0)}" fill="${phaseFill(p.name)}" opacity="0.9"><title>${esc(`${p.name} ${plus(p.at)}${p.endAt !== undefined ? ` for ${sec(p.endAt - p.at)}` : ''}${p.detail ? `: ${p.detail}` : ''}`)}</title></rect>`);
    const nearEnd = x0 > W - right - 80;
    out.push(`<text x="${(nearEnd ? Math.min(x1, W - right) : x0 + 2).toFixed(1)}" y="${14 + (i % 3) * 13}" text-anchor="${nearEnd ? 'end' : 'start'}" fill="${p.ok === false ? '#b42318' : '#333'}">${esc(p.name)}${p.ok === false ? ' ✗' : ''}</text>`);
  });
  // Lanes.
  lanes.forEach((l, li) => {
    const y0 = top + li * lane + lane / 2;
    out.push(`<text x="${left - 8}" y="${y0 - 4}" text-anchor="end" font-weight="600">${esc(l.name)}</text>`);
    out.push(`<text x="${left - 8}" y="${y0 + 10}" text-anchor="end" fill="#666">${l.acks.length ? 'acks ↑ errors ↓' : 'unsent ↓'}</text>`);
    out.push(`<line x1="${left}" y1="${y0}" x2="${W - right}" y2="${y0}" stroke="#999" stroke-width="0.5"/>`);
    const scale = l === stale ? stalePeak : peak;
    const bars = (values: number[], up: boolean, fill: string) => {
      values.forEach((v, i) => {
        if (v <= 0) return;
        const h = (Math.min(v, scale) / scale) * half;
        out.push(`<rect x="${(left + i * bw).toFixed(1)}" y="${(up ? y0 - h : y0).toFixed(1)}" width="${bw.toFixed(2)}" height="${h.toFixed(1)}" fill="${fill}">${v > scale ? `<title>${v} in ${t.bucketMs} ms (cut at ${scale})</title>` : ''}</rect>`);
      });
    };
    bars(l.acks, true, '#2e9d5b');
    bars(l.errors, false, '#d64545');
    if (l.receipts.some((v) => v > 0)) {
      const pts = l.receipts.map((v, i) => `${(left + (i + 0.5) * bw).toFixed(1)},${(y0 - (v / receiptPeak) * half).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="#2f6fd6" stroke-width="1" opacity="0.8"/>`);
    }
  });
  // Step and route marks.
  const marks = t.markers.filter((m) => m.kind === 'step' || m.kind === 'route' || m.kind === 'switch' || m.kind === 'control' || m.kind === 'read');
  for (const m of marks) {
    const mx = x(m.at);
    const colour = m.kind === 'step' ? '#5b3cc4' : m.kind === 'route' || m.kind === 'switch' ? '#0b7285' : m.kind === 'control' ? '#c2410c' : '#666';
    out.push(`<line x1="${mx.toFixed(1)}" y1="${top - 6}" x2="${mx.toFixed(1)}" y2="${top + lanes.length * lane}" stroke="${colour}" stroke-width="1" stroke-dasharray="3 2"><title>${esc(`${plus(m.at)} ${m.label}`)}</title></line>`);
  }
  // Time axis.
  const axisY = top + lanes.length * lane + 4;
  out.push(`<line x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}" stroke="#333"/>`);
  const stepS = niceStep(spanMs / 1000);
  for (let s = 0; s <= spanMs / 1000 + 1e-9; s += stepS) {
    const tx = x(s * 1000);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${axisY}" x2="${tx.toFixed(1)}" y2="${axisY + 5}" stroke="#333"/><text x="${tx.toFixed(1)}" y="${axisY + 17}" text-anchor="middle">${s.toFixed(0)} s</text>`);
  }
  out.push(`<text x="${W - right}" y="${H - 4}" text-anchor="end" fill="#666">per ${t.bucketMs} ms: green acks and red errors (scale ${peak}${seen > peak ? `, bursts up to ${seen} cut` : ''}), blue receipts (peak ${receiptPeak})${stale ? `, stale client on its own scale (${stalePeak})` : ''}; dashed: steps (violet), route and switches (teal), reads (grey)</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function niceStep(spanS: number): number {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300]) if (spanS / s <= 14) return s;
  return 600;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1d1d1f;margin:24px auto;max-width:1140px;padding:0 16px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.verdict{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:700;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.bad{color:#c62828;font-weight:700}td.good{color:#2e7d32}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f4f4f4;padding:1px 3px;border-radius:3px}
.svg{overflow-x:auto;border:1px solid #ddd;border-radius:4px;padding:6px;background:#fff}
ul{margin:4px 0 4px 18px;padding:0}.muted{color:#666}
`;

export function renderDrillHtml(r: DrillResult): string {
  const o: string[] = [];
  const title = `Drill ${r.scenario.name}${r.scenario.revert ? ' with revert' : ''} — ${r.runbook.name}`;
  o.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', `<title>${esc(title)}</title>`, '<meta name="viewport" content="width=device-width, initial-scale=1">', `<style>${CSS}</style>`, '</head><body>');
  o.push(`<h1>${esc(title)}</h1>`);
  o.push(`<p><span class="verdict ${r.ok ? 'pass' : 'fail'}">${r.ok ? 'PASS' : 'FAIL'}</span> ${esc(verdictLine(r))}</p>`);
  o.push('<table>');
  const fact = (k: string, v: string) => o.push(`<tr><th>${esc(k)}</th><td>${v}</td></tr>`);
  fact('runbook', `<code>${esc(r.runbook.path)}</code> <span class="muted">sha256 ${esc(r.runbook.sha256.slice(0, 12))}</span>`);
  fact('scenario', esc(`${r.scenario.name} (${r.scenario.kind})${r.scenario.description ? `: ${r.scenario.description}` : ''}`));
  fact('action', esc(`${r.scenario.action}${r.scenario.revert ? `, then revert after ${sec(r.scenario.revertDwellMs ?? 0)}` : ''}`));
  fact('clusters', esc(`primary ${r.clusters.primary}, secondary ${r.clusters.secondary}`));
  fact('probe', esc(`${r.probe.ratePerSecond} events/s over ${r.probe.keys} keys on ${r.probe.topic}, group ${r.probe.group}${r.probe.groupProtocol === 'consumer' ? ' (consumer protocol)' : ''}; run ${r.runId}`));
  if (r.probe.stale) fact('stale client', esc(`${r.probe.stale.ratePerSecond} events/s to ${r.probe.stale.topic} at ${r.probe.stale.bootstrap.join(',')} (${r.probe.stale.cluster}, fixed at the start)${r.probe.stale.principal ? ` as ${r.probe.stale.principal}` : ''}`));
  fact('started', esc(`${r.startedAt}, took ${sec(r.durationMs)}`));
  fact('transcript', `<code>${esc(r.files.transcript)}</code>`);
  o.push('</table>');

  o.push('<h2>Outcome</h2>', '<table><tr><th>metric</th><th>measured</th><th>expected</th><th></th></tr>');
  for (const row of metricRows(r)) {
    const cls = row.verdict === 'ok' ? 'good' : row.verdict ? 'bad' : '';
    o.push(`<tr><td>${esc(row.metric)}</td><td>${esc(row.measured)}</td><td>${esc(row.expected)}</td><td class="${cls}">${esc(row.verdict)}</td></tr>`);
  }
  o.push('</table>');

  o.push('<h2>Timeline</h2>', `<div class="svg">${timelineSvg(r.timeline, r.phases, (r.probe.ratePerSecond * r.timeline.bucketMs) / 1000)}</div>`);
  o.push('<table><tr><th>at</th><th>phase</th><th>took</th><th></th></tr>');
  for (const p of r.phases) {
    o.push(`<tr><td>${plus(p.at)}</td><td>${esc(p.name)}</td><td>${p.endAt !== undefined ? sec(p.endAt - p.at) : ''}</td><td${p.ok === false ? ' class="bad"' : ''}>${esc(p.detail ?? '')}</td></tr>`);
  }
  o.push('</table>');

  if (r.actions.length) {
    o.push('<h2>Actions</h2>');
    for (const a of r.actions) {
      o.push(`<p><b>${esc(a.action)}</b>: ${esc(a.outcome)} in ${sec(a.ms)}${a.summary ? ` — ${esc(a.summary)}` : ''}${a.transcript ? `<br><span class="muted">transcript <code>${esc(a.transcript)}</code></span>` : ''}</p><ul>`);
      for (const st of a.steps.filter((x) => x.status !== 'planned')) o.push(`<li>${plus(st.at)} ${st.index + 1}. ${esc(st.step)}: ${esc(st.status)}${st.summary ? ` — ${esc(st.summary)}` : ''}</li>`);
      o.push('</ul>');
    }
  }
  if (r.faults.length) {
    o.push('<h2>Fault commands</h2><ul>');
    for (const f of r.faults) o.push(`<li>${plus(f.at)} ${esc(f.label)}: <code>${esc(f.argv.join(' '))}</code> → ${esc(f.ok ? 'ok' : f.timedOut ? 'timed out' : `exit ${f.exitCode}`)} in ${sec(f.ms)}</li>`);
    o.push('</ul>');
  }
  o.push('<h2>Reads to the end</h2><ul>');
  if (r.measurement.reads.length === 0) o.push('<li>No cluster was read to its end; lost events are not known.</li>');
  for (const rd of r.measurement.reads) {
    o.push(`<li>${esc(rd.label)}: ${esc(rd.cluster)} (${rd.topics.map((t) => `<code>${esc(t)}</code>`).join(' + ')}) at ${plus(rd.at)}: ${rd.lost} of ${rd.judged} acknowledged events absent${rd.duplicatedInTopics ? `; ${rd.duplicatedInTopics} event ids stored twice` : ''}</li>`);
  }
  o.push('</ul>');
  if (r.lostEventIds.length) {
    o.push(`<p>Lost event ids (${r.lostEventIds.length}): ${r.lostEventIds.slice(0, 50).map((x) => `<code>${esc(x)}</code>`).join(' ')}${r.lostEventIds.length > 50 ? ' …' : ''}</p>`);
  }
  if (r.writesToDemotedIds?.length) {
    o.push(`<p>Stale-client events acknowledged by the demoted cluster (${r.measurement.writesToDemoted}): ${r.writesToDemotedIds.slice(0, 50).map((x) => `<code>${esc(x)}</code>`).join(' ')}${r.measurement.writesToDemoted > 50 ? ' …' : ''}</p>`);
  }
  if (r.staleLostIds?.length) {
    const n = r.measurement.stale?.lost ?? r.staleLostIds.length;
    o.push(`<p>Stale-client events lost (${n}): ${r.staleLostIds.slice(0, 50).map((x) => `<code>${esc(x)}</code>`).join(' ')}${n > 50 ? ' …' : ''}</p>`);
  }
  if (r.errors.length) {
    o.push('<h2>Client errors</h2><table><tr><th>count</th><th>error</th></tr>');
    for (const e of r.errors.slice(0, 15)) o.push(`<tr><td>${e.count}</td><td>${esc(e.text.slice(0, 240))}</td></tr>`);
    o.push('</table>');
  }
  o.push('<h2>Files</h2><ul>');
  for (const [k, v] of [['Markdown', r.files.markdown], ['JSON', r.files.json], ['probe records', r.files.probeRecords]] as const) o.push(`<li>${k}: <code>${esc(v)}</code></li>`);
  o.push('</ul>', '</body></html>', '');
  return o.join('\n');
}
