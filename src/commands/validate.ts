import { resolve } from 'node:path';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { loadRunbook, type LoadResult } from '../runbook/load.js';
import { countBySeverity, formatProblem, type Problem } from '../runbook/problems.js';
import { redact, redactDeep } from '../runbook/secrets.js';
import { c, out, printJson } from '../ui/report.js';

export interface ValidateOptions {
  runbooks: string[];
  json: boolean;
  /** unset `${env:...}` are errors, and warnings fail the run */
  strict: boolean;
  cwd: string;
  /** where `${env:...}` reads from (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ValidatedFile {
  file: string;
  valid: boolean;
  name?: string;
  contentHash?: string;
  errors: number;
  warnings: number;
  problems: Problem[];
}

export interface ValidateResult {
  valid: boolean;
  strict: boolean;
  errors: number;
  warnings: number;
  files: ValidatedFile[];
}

function fileResult(loaded: LoadResult, strict: boolean): ValidatedFile {
  const { errors, warnings } = countBySeverity(loaded.problems);
  return {
    file: loaded.file,
    valid: loaded.runbook !== undefined && errors === 0 && (!strict || warnings === 0),
    ...(loaded.runbook ? { name: loaded.runbook.name } : {}),
    ...(loaded.contentHash ? { contentHash: loaded.contentHash } : {}),
    errors,
    warnings,
    problems: loaded.problems,
  };
}

/** Static checks only: no network. Exit 0 when every runbook is valid, 2 when one is not. */
export async function validate(opts: ValidateOptions): Promise<ExitCodeValue> {
  const loaded = await Promise.all(
    opts.runbooks.map((p) =>
      loadRunbook(resolve(opts.cwd, p), {
        displayPath: p,
        missingInterpolation: opts.strict ? 'error' : 'warning',
        ...(opts.env ? { env: opts.env } : {}),
      }),
    ),
  );
  const files = loaded.map((l) => fileResult(l, opts.strict));
  const result: ValidateResult = {
    valid: files.every((f) => f.valid),
    strict: opts.strict,
    errors: files.reduce((n, f) => n + f.errors, 0),
    warnings: files.reduce((n, f) => n + f.warnings, 0),
    files,
  };
  if (opts.json) printJson(redactDeep(result));
  else renderHuman(result, loaded);
  return result.valid ? ExitCode.ok : ExitCode.usage;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function renderHuman(result: ValidateResult, loaded: LoadResult[]): void {
  const col = c();
  result.files.forEach((f, i) => {
    for (const p of f.problems) {
      const line = redact(formatProblem(p));
      out(p.severity === 'error' ? col.red(line) : col.yellow(line));
    }
    const rb = loaded[i]?.runbook;
    const counts = [f.errors ? plural(f.errors, 'error') : '', f.warnings ? plural(f.warnings, 'warning') : ''].filter(Boolean).join(', ');
    if (f.valid && rb) {
      const actions = Object.keys(rb.actions).join(', ');
      const about = `${rb.name}: ${plural(Object.keys(rb.clusters).length, 'cluster')}, ${rb.link.kind} link, ${actions}${rb.drill ? `, ${plural(Object.keys(rb.drill.scenarios).length, 'drill scenario')}` : ''}`;
      out(redact(`${col.green(`${f.file}: valid`)} (${about})${counts ? `; ${counts}` : ''}`));
    } else {
      const why = result.strict && f.errors === 0 ? `${counts} (--strict fails on warnings)` : counts;
      out(redact(`${col.red(`${f.file}: invalid`)}${why ? `; ${why}` : ''}`));
    }
  });
}
