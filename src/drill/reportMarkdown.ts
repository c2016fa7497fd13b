import type { DrillResult } from './result.js';
import { sparkline } from './timeline.js';

/** The drill as Markdown, for a postmortem or a CI summary. Pure: result in, text out. */

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const at = (ms: number) => `+${(ms / 1000).toFixed(1)} s`;
const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export interface MetricRow {
  metric: string;
  measured: string;
  expected: string;
  verdict: string;
}

/** The summary table's rows: shared by the terminal, Markdown and HTML reports. */
export function metricRows(r: DrillResult): MetricRow[] {
  const m = r.measurement;
  const exp = new Map(r.expectations.map((x) => [x.name, x]));
  const bound = (name: string, unit: 'events' | 'seconds'): Pick<MetricRow, 'expected' | 'verdict'> => {
    const x = exp.get(name as never);
    if (!x) return { expected: '', verdict: '' };
    return { expected: `≤ ${unit === 'seconds' ? `${x.limit} s` : x.limit}`, verdict: x.ok ? 'ok' : 'BREACHED' };
  };
  const gap = (g: { from: number; to: number } | undefined) => (g ? ` (${at(g.from)} → ${at(g.to)})` : '');
  return [
    { metric: 'events written / acknowledged', measured: `${m.events.created} / ${m.events.acked}`, expected: '', verdict: '' },
    { metric: 'acknowledged by', measured: Object.entries(m.events.ackedBy).map(([c, n]) => `${c} ${n}`).join(', ') || 'none', expected: '', verdict: '' },
    { metric: 'write errors', measured: `${m.events.failed}${m.events.unsent ? ` (${m.events.unsent} never sent: no connection)` : ''}${m.failedButStored ? `; ${m.failedButStored} of them stored anyway` : ''}`, expected: '', verdict: '' },
    { metric: 'write downtime', measured: `${s(m.writeDowntimeMs)}${gap(m.writeGap)}`, ...bound('maxWriteDowntimeSeconds', 'seconds') },
    { metric: 'read downtime', measured: `${s(m.readDowntimeMs)}${gap(m.readGap)}`, ...bound('maxReadDowntimeSeconds', 'seconds') },
    { metric: 'lost (acknowledged, absent)', measured: String(m.lost), ...bound('maxLostEvents', 'events') },
    { metric: 'RPO', measured: `${m.rpo.events} events, ${m.rpo.seconds.toFixed(2)} s`, expected: '', verdict: '' },
    { metric: 'duplicates', measured: String(m.duplicates), ...bound('maxDuplicates', 'events') },
    { metric: 'replay after the switch (predicted)', measured: `${m.replay} (${m.predictedReplay ?? 'unknown'})`, expected: '', verdict: '' },
    { metric: 'per-key reorderings', measured: String(m.reorderings), ...bound('maxReorderings', 'events') },
    { metric: 'acknowledged, never read by the group', measured: String(m.received.unreadAcked), expected: '', verdict: '' },
    ...staleRows(r, bound),
  ];
}

/** The stale client's rows: what it tried, and what the demoted cluster took from it. */
function staleRows(r: DrillResult, bound: (name: string, unit: 'events' | 'seconds') => Pick<MetricRow, 'expected' | 'verdict'>): MetricRow[] {
  const st = r.measurement.stale;
  const p = r.probe.stale;
  if (!st || !p) return [];
  const refused = Object.entries(st.errorsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  const switched = st.switches.map((x) => `${x.action} left ${x.demoted} at ${at(x.at)}: ${x.writesToDemoted}`).join('; ');
  return [
    {
      metric: `stale client (${p.topic} on ${p.cluster}${p.principal ? ` as ${p.principal}` : ''})`,
      measured: `${st.acked} of ${st.created} acknowledged (${st.ackedBeforeSwitch} before the switch)${st.failed ? `; ${st.failed} failed: ${refused}` : ''}`,
      expected: '',
      verdict: '',
    },
    {
      metric: 'writes to the demoted cluster',
      measured: `${st.writesToDemoted}${st.switches.length ? ` (${switched})` : ' (no switch)'}`,
      ...bound('maxWritesToDemoted', 'events'),
    },
    { metric: 'stale client lost (not in lost above)', measured: `${st.lost}${st.demotedLost ? ` (${st.demotedLost} of them written to the demoted cluster)` : ''}`, expected: '', verdict: '' },
  ];
}

export function verdictLine(r: DrillResult): string {
  if (!r.completed) return `did not complete: ${r.problem ?? 'unknown'}`;
  if (r.breached.length) return `breached: ${r.breached.join(', ')}`;
  return 'every expectation held';
}

export function renderDrillMarkdown(r: DrillResult): string {
  const o: string[] = [];
  const title = `${r.scenario.name}${r.scenario.revert ? ' with revert' : ''}`;
  o.push(`# Drill ${title} — ${r.runbook.name}`, '');
  o.push(`**${r.ok ? 'PASS' : 'FAIL'}**: ${verdictLine(r)}`, '');
  o.push('| | |', '|---|---|');
  o.push(`| runbook | \`${r.runbook.path}\` (sha256 \`${r.runbook.sha256.slice(0, 12)}\`) |`);
  o.push(`| scenario | ${r.scenario.name} (${r.scenario.kind}${r.scenario.description ? `: ${cell(r.scenario.description)}` : ''}) |`);
  o.push(`| action | ${r.scenario.action}${r.scenario.revert ? `, then revert after ${s(r.scenario.revertDwellMs ?? 0)}` : ''} |`);
  o.push(`| clusters | primary ${r.clusters.primary}, secondary ${r.clusters.secondary} |`);
  o.push(`| probe | ${r.probe.ratePerSecond} events/s, ${r.probe.keys} keys, topic \`${r.probe.topic}\`, group \`${r.probe.group}\`${r.probe.groupProtocol === 'consumer' ? ' (consumer protocol)' : ''}, run \`${r.runId}\` |`);
  if (r.probe.stale) o.push(`| stale client | ${r.probe.stale.ratePerSecond} events/s to \`${r.probe.stale.topic}\` at ${r.probe.stale.bootstrap.join(',')} (${r.probe.stale.cluster}, fixed at the start)${r.probe.stale.principal ? ` as ${r.probe.stale.principal}` : ''} |`);
  o.push(`| started | ${r.startedAt} (${s(r.durationMs)}) |`);
  o.push(`| transcript | \`${r.files.transcript}\` |`, '');

  o.push('## Outcome', '', '| metric | measured | expected | |', '|---|---|---|---|');
  for (const row of metricRows(r)) o.push(`| ${row.metric} | ${cell(row.measured)} | ${row.expected} | ${row.verdict} |`);
  o.push('');

  o.push('## Timeline', '', '```');
  const width = 60;
  const span = (r.timeline.buckets * r.timeline.bucketMs) / 1000;
  for (const series of r.timeline.series) {
    o.push(`${`${series.cluster} acks`.padEnd(14)}|${sparkline(series.acks, width)}|`);
    o.push(`${`${series.cluster} errors`.padEnd(14)}|${sparkline(series.errors, width)}|`);
  }
  if (r.timeline.stale) {
    o.push(`${'stale acks'.padEnd(14)}|${sparkline(r.timeline.stale.acks, width)}|`);
    o.push(`${'stale errors'.padEnd(14)}|${sparkline(r.timeline.stale.errors, width)}|`);
  }
  o.push(`${'0 s'.padEnd(14)} ${' '.repeat(width - `${span.toFixed(0)} s`.length)}${span.toFixed(0)} s`, '```', '');
  o.push('| at | phase | |', '|---|---|---|');
  for (const p of r.phases) o.push(`| ${at(p.at)} | ${p.name} | ${p.endAt !== undefined ? `${s(p.endAt - p.at)}${p.ok === false ? ', **failed**' : ''}` : ''}${p.detail ? ` — ${cell(p.detail)}` : ''} |`);
  o.push('');

  if (r.actions.length) {
    o.push('## Actions', '');
    for (const a of r.actions) {
      o.push(`### ${a.action}: ${a.outcome} (${s(a.ms)})`, '');
      if (a.summary) o.push(a.summary, '');
      if (a.transcript) o.push(`Transcript: \`${a.transcript}\``, '');
      for (const st of a.steps.filter((x) => x.status !== 'planned')) o.push(`- ${at(st.at)} ${st.index + 1}. ${st.step}: ${st.status}${st.summary ? ` — ${cell(st.summary)}` : ''}`);
      o.push('');
    }
  }
  if (r.faults.length) {
    o.push('## Fault commands', '');
    for (const f of r.faults) o.push(`- ${at(f.at)} ${f.label}: \`${f.argv.join(' ')}\` → ${f.ok ? 'ok' : f.timedOut ? 'timed out' : `exit ${f.exitCode}`} in ${s(f.ms)}`);
    o.push('');
  }
  o.push('## Reads to the end', '');
  if (r.measurement.reads.length === 0) o.push('No cluster was read to its end; lost events are not known.', '');
  for (const rd of r.measurement.reads) {
    o.push(`- ${rd.label}: ${rd.cluster} (${rd.topics.map((t) => `\`${t}\``).join(' + ')}) at ${at(rd.at)}: ${rd.lost} of ${rd.judged} acknowledged events absent${rd.duplicatedInTopics ? `; ${rd.duplicatedInTopics} event ids stored twice` : ''}`);
  }
  o.push('');
  if (r.lostEventIds.length) {
    const shown = r.lostEventIds.slice(0, 50);
    o.push(`Lost event ids (${r.lostEventIds.length}${r.lostEventIds.length > shown.length ? `, first ${shown.length}` : ''}): ${shown.map((x) => `\`${x}\``).join(', ')}`, '');
  }
  if (r.writesToDemotedIds?.length) {
    const n = r.measurement.writesToDemoted;
    o.push(`Stale-client events acknowledged by the demoted cluster (${n}${n > r.writesToDemotedIds.length ? `, first ${r.writesToDemotedIds.length}` : ''}): ${r.writesToDemotedIds.slice(0, 50).map((x) => `\`${x}\``).join(', ')}`, '');
  }
  if (r.staleLostIds?.length) {
    const n = r.measurement.stale?.lost ?? r.staleLostIds.length;
    o.push(`Stale-client events lost (${n}${n > r.staleLostIds.length ? `, first ${r.staleLostIds.length}` : ''}): ${r.staleLostIds.slice(0, 50).map((x) => `\`${x}\``).join(', ')}`, '');
  }
  if (r.errors.length) {
    o.push('## Client errors', '', '| count | error |', '|---|---|');
    for (const e of r.errors.slice(0, 15)) o.push(`| ${e.count} | ${cell(e.text.slice(0, 200))} |`);
    o.push('');
  }
  o.push('## Files', '');
  o.push(`- HTML report: \`${r.files.html}\``, `- JSON result: \`${r.files.json}\``, `- probe records: \`${r.files.probeRecords}\``, '');
  return o.join('\n');
}
