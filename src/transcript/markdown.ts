import type { ChainResult } from './reader.js';
import type { EntryOf, EntryType, TranscriptEntry } from './entries.js';

export interface MarkdownOptions {
  /** the file the entries came from, shown in the header */
  file?: string;
  /** the result of verifyChain, shown in the header so a reader knows whether to trust the rest */
  chain?: ChainResult;
}

/**
 * A transcript as Markdown for a postmortem: who ran what against which
 * runbook and how it ended first, then the stop reason, the timeline, each
 * step's plan, apply and verify, the gates and the overrides. Pure: entries
 * in, text out.
 */
export function renderTranscriptMarkdown(entries: readonly TranscriptEntry[], opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  const started = first(entries, 'run-started');
  const finished = last(entries, 'run-finished');
  const t0 = entries[0] ? Date.parse(entries[0].time) : NaN;

  out.push(`# ${started ? `${started.dryRun ? 'Dry run of ' : ''}${started.action} — ${started.runbook.name}` : 'Transcript'}`, '');
  const facts: [string, string][] = [];
  if (opts.file) facts.push(['transcript', code(opts.file)]);
  if (started) {
    facts.push(['runbook', `${code(started.runbook.path)} (sha256 ${code(started.runbook.sha256.slice(0, 12))})`]);
    facts.push(['action', started.action + (started.dryRun ? ' (dry run)' : '')]);
    facts.push(['operator', `${started.operator} on ${started.host} (pid ${started.pid})`]);
    facts.push(['tool', `failover ${started.toolVersion}`]);
    facts.push(['command', code(started.argv.join(' '))]);
    facts.push(['started', started.time]);
  }
  if (finished) {
    facts.push(['finished', `${finished.time}${Number.isNaN(t0) ? '' : ` (${duration(Date.parse(finished.time) - t0)})`}`]);
    facts.push(['outcome', `**${finished.outcome}** (exit ${finished.exitCode})${finished.summary ? `: ${finished.summary}` : ''}`]);
  } else {
    const end = entries.at(-1);
    facts.push(['outcome', `**unfinished**: no run-finished entry${end ? `; last entry #${end.seq} (${end.type}) at ${end.time}` : ''}`]);
  }
  if (opts.chain) {
    const c = opts.chain;
    facts.push([
      'hash chain',
      c.ok ? `holds (${c.entries} entries, last hash ${code(c.lastHash)})` : `**broken** at line ${c.firstBad?.line}: ${c.firstBad?.reason}; only the first ${c.entries} entries are trustworthy`,
    ]);
  }
  out.push(...table(['', ''], facts), '');

  const stops = all(entries, 'stopped');
  if (stops.length > 0) {
    out.push('## Stopped', '');
    for (const s of stops) {
      const where = s.index === undefined ? '' : ` at step ${s.index + 1}`;
      out.push(`- ${s.time}${where}: ${s.reason}${s.criterion ? ` (criterion ${code(s.criterion)})` : ''}; ${s.resumable ? 'resumable with `--resume`' : 'not resumable'}`);
    }
    out.push('');
  }

  out.push('## Timeline', '');
  out.push(
    ...table(
      ['#', 'time', '+', 'entry', 'what'],
      entries.map((e) => [String(e.seq), e.time, Number.isNaN(t0) ? '' : duration(Date.parse(e.time) - t0), e.type, describe(e)]),
    ),
    '',
  );

  const steps = stepsOf(entries);
  if (steps.length > 0) {
    out.push('## Steps', '');
    for (const s of steps) {
      out.push(`### ${s.index + 1}. ${s.step}`, '');
      if (s.planned) {
        out.push(`- **plan** (${s.planned.time})${s.planned.summary ? `: ${s.planned.summary}` : ''}`);
      } else {
        out.push('- **plan**: not recorded');
      }
      for (const c of s.confirmed) out.push(`- **confirmed** (${c.time}) by ${c.via === 'flag' ? '`--yes`' : 'the operator'}: ${c.message}`);
      if (s.applied) {
        const took = s.applied.durationMs === undefined ? '' : `, ${duration(s.applied.durationMs)}`;
        out.push(`- **applied** (${s.applied.time}${took})${s.applied.summary ? `: ${s.applied.summary}` : ''}`);
      } else {
        out.push('- **applied**: no');
      }
      if (s.verified) {
        out.push(`- **verified** (${s.verified.time}): ${s.verified.status} — ${s.verified.finding}`);
      } else {
        out.push('- **verified**: no');
      }
      if (s.planned && s.planned.plan !== undefined) {
        out.push('', '<details><summary>plan</summary>', '', '```json', JSON.stringify(s.planned.plan, null, 2), '```', '', '</details>');
      }
      out.push('');
    }
  }

  const gates = all(entries, 'gate');
  const checks = all(entries, 'check');
  if (gates.length > 0 || checks.length > 0) {
    out.push('## Gates', '');
    if (gates.length > 0) {
      out.push(...table(['gate', 'score', 'blocking', 'summary'], gates.map((g) => [g.gate, String(g.score), g.blocking ? 'yes' : 'no', g.summary ?? ''])), '');
    }
    if (checks.length > 0) {
      out.push(...table(['gate', 'check', 'status', 'finding'], checks.map((c) => [c.gate, c.check, c.status, c.finding])), '');
    }
  }

  const overrides = all(entries, 'override');
  if (overrides.length > 0) {
    out.push('## Overrides', '');
    for (const o of overrides) out.push(`- ${code(o.gate)}${o.score === undefined ? '' : ` (score ${o.score})`} overridden at ${o.time}: ${o.reason}`);
    out.push('');
  }

  const notes = all(entries, 'note');
  if (notes.length > 0) {
    out.push('## Notes', '');
    for (const n of notes) out.push(`- ${n.time}: ${n.text}`);
    out.push('');
  }

  return out.join('\n');
}

interface StepRecord {
  index: number;
  step: string;
  planned?: EntryOf<'step-planned'>;
  confirmed: EntryOf<'confirmed'>[];
  applied?: EntryOf<'step-applied'>;
  verified?: EntryOf<'step-verified'>;
}

/** Groups entries by step index; a resumed run may plan or verify a step again, and the latest record wins. */
function stepsOf(entries: readonly TranscriptEntry[]): StepRecord[] {
  const byIndex = new Map<number, StepRecord>();
  const get = (index: number, step: string): StepRecord => {
    let r = byIndex.get(index);
    if (!r) byIndex.set(index, (r = { index, step, confirmed: [] }));
    return r;
  };
  for (const e of entries) {
    if (e.type === 'step-planned') get(e.index, e.step).planned = e;
    else if (e.type === 'step-applied') get(e.index, e.step).applied = e;
    else if (e.type === 'step-verified') get(e.index, e.step).verified = e;
    else if (e.type === 'confirmed' && e.index !== undefined) byIndex.get(e.index)?.confirmed.push(e);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

function describe(e: TranscriptEntry): string {
  switch (e.type) {
    case 'run-started':
      return `${e.action} of ${e.runbook.name} by ${e.operator}@${e.host}`;
    case 'gate':
      return `${e.gate}: score ${e.score}${e.blocking ? ' (blocking)' : ''}${e.summary ? `, ${e.summary}` : ''}`;
    case 'check':
      return `${e.gate}/${e.check}: ${e.status}, ${e.finding}`;
    case 'step-planned':
      return `step ${e.index + 1} ${e.step} planned${e.summary ? `: ${e.summary}` : ''}`;
    case 'confirmed':
      return `confirmed${e.index === undefined ? '' : ` step ${e.index + 1}`} (${e.via}): ${e.message}`;
    case 'step-applied':
      return `step ${e.index + 1} ${e.step} applied${e.summary ? `: ${e.summary}` : ''}`;
    case 'step-verified':
      return `step ${e.index + 1} ${e.step} verified: ${e.status}, ${e.finding}`;
    case 'stopped':
      return `stopped: ${e.reason}`;
    case 'override':
      return `override ${e.gate}: ${e.reason}`;
    case 'run-finished':
      return `finished: ${e.outcome} (exit ${e.exitCode})`;
    case 'note':
      return e.text;
  }
}

function first<T extends EntryType>(entries: readonly TranscriptEntry[], type: T): EntryOf<T> | undefined {
  return entries.find((e): e is EntryOf<T> => e.type === type);
}

function last<T extends EntryType>(entries: readonly TranscriptEntry[], type: T): EntryOf<T> | undefined {
  return all(entries, type).at(-1);
}

function all<T extends EntryType>(entries: readonly TranscriptEntry[], type: T): EntryOf<T>[] {
  return entries.filter((e): e is EntryOf<T> => e.type === type);
}

function table(head: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)];
}

function cell(s: string): string {
  // GFM splits cells on '|' even inside code spans, so escape it everywhere.
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, '0')}s`;
}
