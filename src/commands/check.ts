import { resolve } from 'node:path';
import Table from 'cli-table3';
import { ExitCode, FailoverError, type ExitCodeValue } from '../errors.js';
import { closeAll, connectRunbook } from '../gates/connections.js';
import { toJson } from '../gates/reporters/json.js';
import { toJunit } from '../gates/reporters/junit.js';
import { toMarkdown } from '../gates/reporters/markdown.js';
import { checkRunbook, type CheckResult } from '../gates/scorecard.js';
import type { Evidence, GateResult } from '../gates/types.js';
import { GATE_NAMES, type GateName } from '../runbook/gates.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import { redact, redactDeep } from '../runbook/secrets.js';
import { folderToRead } from '../files.js';
import { c, out, prepareReportFile, writeReportFile } from '../ui/report.js';

export interface CheckCommandOptions {
  runbook: string;
  gates?: string[];
  verbose?: boolean;
  json?: boolean;
  junit?: string;
  markdown?: string;
  /** folder of earlier transcripts (rollback rehearsal evidence), default transcripts/ */
  transcripts?: string;
  cwd: string;
  env?: Readonly<Record<string, string | undefined>>;
}

function gateNames(given: string[] | undefined): GateName[] | undefined {
  if (!given || given.length === 0) return undefined;
  const names = given.flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean);
  const bad = names.filter((g) => !(GATE_NAMES as readonly string[]).includes(g));
  if (bad.length) throw new FailoverError(`unknown gate ${bad.map((b) => `"${b}"`).join(', ')}`, { hint: `choose among ${GATE_NAMES.join(', ')}` });
  return names as GateName[];
}

/**
 * `failover check <runbook>`: gates against the live clusters, a scorecard
 * and a readiness verdict. Exit 0 ready, 1 not ready, 2 when the runbook or
 * the command line is wrong or neither cluster answers. A single cluster
 * that does not answer is evidence (the normal case during an incident).
 */
export async function check(opts: CheckCommandOptions): Promise<ExitCodeValue> {
  const gates = gateNames(opts.gates);
  // Paths first: a wrong one ends the command before any cluster is asked.
  prepareReportFile(opts.cwd, opts.junit, '--junit');
  prepareReportFile(opts.cwd, opts.markdown, '--markdown');
  const transcriptsDir = resolve(opts.cwd, opts.transcripts ?? 'transcripts');
  folderToRead(transcriptsDir, 'the transcripts folder', 'give --transcripts the folder where failover wrote earlier transcripts (it need not exist yet)');
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { displayPath: opts.runbook, ...(opts.env ? { env: opts.env } : {}) });
  const connections = connectRunbook(loaded.runbook);
  let result: CheckResult;
  try {
    ({ result } = await checkRunbook({
      runbook: loaded.runbook,
      runbookPath: opts.runbook,
      baseDir: loaded.baseDir,
      contentHash: loaded.contentHash,
      connections,
      ...(gates ? { gates } : {}),
      transcriptsDir,
    }));
  } finally {
    await closeAll(connections);
  }
  result = redactDeep(result);
  if (result.clusters.every((cl) => !cl.reachable)) {
    throw new FailoverError(
      redact(`neither cluster answers: ${result.clusters.map((cl) => `${cl.name}: ${cl.error}`).join('; ')}`),
      { exitCode: ExitCode.usage, hint: 'check that the clusters run and that the runbook\'s bootstrap addresses and auth are right' },
    );
  }
  writeReportFile(opts.cwd, opts.junit, () => toJunit(result), '--junit');
  writeReportFile(opts.cwd, opts.markdown, () => toMarkdown(result), '--markdown');
  if (opts.json) process.stdout.write(toJson(result));
  else render(result, Boolean(opts.verbose));
  return result.readiness.ready ? ExitCode.ok : ExitCode.findings;
}

function scoreText(g: GateResult): string {
  const col = c();
  if (g.verdict === 'report') return col.dim(String(g.score));
  return g.score === 2 ? col.green('2') : g.score === 1 ? col.yellow('1') : col.red('0');
}

function statusText(e: Evidence): string {
  const col = c();
  const tag = e.status.toUpperCase().padEnd(4);
  if (e.status === 'pass') return col.green(tag);
  if (e.status === 'warn') return col.yellow(tag);
  if (e.status === 'skip') return col.dim(tag);
  return e.blocking === false ? col.yellow(tag) : col.red(tag);
}

function render(result: CheckResult, verbose: boolean): void {
  const col = c();
  const width = Math.max(80, Math.min(process.stdout.columns ?? 120, 160));
  out(`${col.bold(result.runbook.name)}: phase ${result.phase.phase}, primary ${result.phase.roles.primary}, secondary ${result.phase.roles.secondary}`);
  for (const cl of result.clusters) {
    out(`  ${cl.role.padEnd(9)} ${cl.name} (${cl.bootstrap.join(',')}): ${cl.reachable ? `cluster id ${cl.clusterId}` : col.red(`unreachable: ${cl.error}`)}`);
  }
  const table = new Table({
    head: ['gate', 'score', 'verdict', 'key finding'],
    colWidths: [16, 7, 10, width - 16 - 7 - 10 - 5],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const g of result.gates) table.push([g.gate, scoreText(g), g.verdict, g.keyFinding]);
  out(table.toString());
  for (const g of result.gates) {
    const shown = verbose ? g.evidence : g.evidence.filter((e) => e.status !== 'pass');
    if (shown.length === 0) continue;
    out('');
    out(col.bold(`${g.gate} (${g.score})`));
    for (const e of shown) {
      out(`  ${statusText(e)} ${e.check}${e.blocking === false ? col.dim(' (informational)') : ''}: ${e.finding}`);
      if (e.hint && e.status !== 'pass') out(`       ${col.dim(`hint: ${e.hint}`)}`);
    }
  }
  out('');
  out(result.readiness.ready ? col.green(result.readiness.statement) : col.red(result.readiness.statement));
  out(col.dim(`checked in ${(result.elapsedMs / 1000).toFixed(1)} s`));
}
