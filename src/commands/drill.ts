import { dirname, relative, resolve } from 'node:path';
import Table from 'cli-table3';
import { ExitCode, FailoverError, errorMessage, type ExitCodeValue } from '../errors.js';
import { engineActionRunner } from '../drill/engineAction.js';
import { metricRows, verdictLine } from '../drill/reportMarkdown.js';
import { renderDrillHtml } from '../drill/reportHtml.js';
import { renderDrillJunit } from '../drill/reportJunit.js';
import { renderDrillMarkdown } from '../drill/reportMarkdown.js';
import { drillResultJson, type DrillResult } from '../drill/result.js';
import { runDrill, scenarioOf, type ActionRunner } from '../drill/runDrill.js';
import { sparkline } from '../drill/timeline.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import { redactDeep } from '../runbook/secrets.js';
import { colourEnabled } from '../ui/colour.js';
import { ensureDir } from '../files.js';
import { defaultTranscriptPath } from '../transcript/writer.js';
import { c, info, out, prepareReportFile, writeReportFile } from '../ui/report.js';

export interface DrillCommandOptions {
  runbook: string;
  scenario?: string;
  revert?: boolean;
  json?: boolean;
  junit?: string;
  markdown?: string;
  html?: string;
  yes?: boolean;
  /** where the drill's transcript and reports go (default transcripts/) */
  transcripts?: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** tests hand in their own; by default the engine runs the action */
  runAction?: ActionRunner;
}

/**
 * `failover drill <runbook>`: a game-day drill under the probe. Exit 0 when
 * every expectation held, 1 when one was breached or the drill could not run
 * to its end (the report says which), 2 for a wrong runbook or command line
 * or an unreachable cluster (nothing was injected).
 */
export async function drill(opts: DrillCommandOptions): Promise<ExitCodeValue> {
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { displayPath: opts.runbook, ...(opts.env ? { env: opts.env } : {}) });
  const rb = loaded.runbook;
  const name = opts.scenario ?? 'planned';
  const scenario = scenarioOf(rb, name);
  if (!scenario) {
    const known = ['planned', ...Object.keys(rb.drill?.scenarios ?? {}).filter((s) => s !== 'planned')];
    throw new FailoverError(`${opts.runbook}: no drill scenario "${name}"`, { hint: `choose one of: ${known.join(', ')} (drill.scenarios in the runbook)` });
  }
  if (!rb.drill?.probe) {
    throw new FailoverError(`${opts.runbook}: the runbook has no drill.probe, so nothing would be measured`, {
      hint: 'add drill: { probe: { topic: failover.probe, group: failover-probe, keys: 32, ratePerSecond: 200 } }',
    });
  }
  if (!rb.actions[scenario.action]) throw new FailoverError(`${opts.runbook}: scenario ${name} runs ${scenario.action}, and the runbook has no such action`, { hint: `define actions.${scenario.action}` });
  if (opts.revert && !rb.actions.revert) throw new FailoverError(`${opts.runbook}: --revert, and the runbook has no revert action`, { hint: 'define actions.revert, or drop --revert' });

  // Paths before anything is injected: the drill's folder is made here, once (a recursive mkdir on a
  // file system that refuses it, such as /proc, would never return), and the report files must be writable.
  const transcriptsDir = resolve(opts.cwd, opts.transcripts ?? 'transcripts');
  ensureDir(dirname(defaultTranscriptPath(rb.name, 'drill', new Date(), transcriptsDir)), 'the transcripts folder', "choose a folder failover can write with --transcripts <dir>; the drill's transcript and reports go there");
  prepareReportFile(opts.cwd, opts.junit, '--junit');
  prepareReportFile(opts.cwd, opts.markdown, '--markdown');
  prepareReportFile(opts.cwd, opts.html, '--html');

  const what = `drill ${name} on ${rb.name}: ${scenario.fault ? `inject ${scenario.kind} into ${rb.roles.primary} (${scenario.fault.inject.join(' ')}), ` : ''}${scenario.action} to ${rb.roles.secondary}${opts.revert ? ', then revert' : ''}, under a ${rb.drill.probe.ratePerSecond}/s probe`;
  if (!opts.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new FailoverError(`${what}: needs a confirmation, and there is no terminal to ask on`, { hint: 'pass --yes to run it unattended' });
    }
    const { confirm, isCancel } = await import('@clack/prompts');
    const yes = await confirm({ message: `Run the ${what}?`, output: process.stderr });
    if (isCancel(yes) || !yes) {
      info('nothing was done');
      return ExitCode.stopped;
    }
  }

  const progress = opts.json ? () => {} : (line: string) => info(c().dim(`drill: ${line}`));
  // Ctrl-C stops the drill where it is; the fault is recovered and what was measured is reported (a second Ctrl-C ends at once).
  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) info('drill: interrupted; stopping, recovering the fault and writing the report (Ctrl-C again ends at once)');
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  let result: DrillResult;
  try {
    result = await runDrill({
      loaded,
      runbookPath: opts.runbook,
      scenario: name,
      revert: Boolean(opts.revert),
      runAction: opts.runAction ?? engineActionRunner({ loaded, runbookPath: opts.runbook, cwd: opts.cwd, transcriptsDir, signal: interrupt.signal, ...(opts.env ? { env: opts.env } : {}) }),
      transcriptsDir,
      argv: ['drill', opts.runbook, '--scenario', name, ...(opts.revert ? ['--revert'] : [])],
      progress,
      signal: interrupt.signal,
      ...(opts.env ? { env: opts.env } : {}),
    });
  } catch (e) {
    if (e instanceof FailoverError) throw e;
    throw new FailoverError(`drill ${name}: ${errorMessage(e)}`, { exitCode: ExitCode.usage, hint: 'check that both clusters run and the runbook\'s addresses are right; nothing was injected', cause: e });
  } finally {
    process.off('SIGINT', onSigint);
  }
  result = redactDeep(result);
  writeReportFile(opts.cwd, opts.junit, () => renderDrillJunit(result), '--junit');
  writeReportFile(opts.cwd, opts.markdown, () => renderDrillMarkdown(result), '--markdown');
  writeReportFile(opts.cwd, opts.html, () => renderDrillHtml(result), '--html');
  if (opts.json) {
    process.stdout.write(drillResultJson(result));
  } else render(result, opts.cwd);
  return result.ok ? ExitCode.ok : ExitCode.findings;
}

function shown(cwd: string, p: string): string {
  const r = relative(cwd, p);
  return r.startsWith('..') ? p : r;
}

function render(r: DrillResult, cwd: string): void {
  const col = c();
  out('');
  out(col.bold(`Drill ${r.scenario.name}${r.scenario.revert ? ' with revert' : ''} on ${r.runbook.name}`) + col.dim(`  (${(r.durationMs / 1000).toFixed(1)} s, run ${r.runId})`));
  const table = new Table({
    head: ['metric', 'measured', 'expected', ''],
    style: { head: colourEnabled() ? ['cyan'] : [], border: colourEnabled() ? ['grey'] : [] },
  });
  for (const row of metricRows(r)) table.push([row.metric, row.measured, row.expected, row.verdict === 'ok' ? col.green('ok') : row.verdict ? col.red(row.verdict) : '']);
  out(table.toString());

  const width = Math.max(30, Math.min(72, (process.stdout.columns ?? 100) - 20));
  const span = (r.timeline.buckets * r.timeline.bucketMs) / 1000;
  out('');
  out(col.bold('timeline') + col.dim(` (0 to ${span.toFixed(0)} s; acks, errors)`));
  for (const s of r.timeline.series) {
    out(`  ${s.cluster.padEnd(8)} ${col.green(sparkline(s.acks, width).padEnd(width))}`);
    if (s.errors.some((v) => v > 0)) out(`  ${''.padEnd(8)} ${col.red(sparkline(s.errors, width).padEnd(width))}`);
  }
  out(`  ${'phases'.padEnd(8)} ${phaseRow(r, width)}`);
  out(col.dim(`  ${''.padEnd(8)} ${r.phases.filter((p) => p.name !== 'probe' && !p.name.startsWith('read')).map((p) => `${letter(p.name)}=${p.name} +${(p.at / 1000).toFixed(1)}s`).join('  ')}`));
  out('');
  const verdict = r.ok ? col.green('PASS') : col.red('FAIL');
  out(`${verdict} ${verdictLine(r)}`);
  for (const x of r.expectations.filter((e) => !e.ok)) out(col.red(`  breached ${x.finding}`));
  out(col.dim(`report: ${shown(cwd, r.files.html)}  (also ${shown(cwd, r.files.markdown)}, ${shown(cwd, r.files.json)})`));
  out(col.dim(`transcript: ${shown(cwd, r.files.transcript)}`));
}

/** One letter per phase at the column where it began. */
function phaseRow(r: DrillResult, width: number): string {
  const span = r.timeline.buckets * r.timeline.bucketMs;
  const row = new Array<string>(width).fill('·');
  for (const p of r.phases) {
    if (p.name === 'probe' || p.name.startsWith('read')) continue;
    const i = Math.min(width - 1, Math.floor((p.at / span) * width));
    row[i] = letter(p.name);
  }
  return row.join('');
}

const LETTERS: Record<string, string> = { fault: 'F', dwell: 'D', promote: 'P', revert: 'R', recover: 'U', 'continue-forward': 'C' };
function letter(phase: string): string {
  return LETTERS[phase] ?? phase[0]!.toUpperCase();
}
