/**
 * What the loader and the semantic checks report. A `Finding` is located by
 * its path in the runbook; the loader turns it into a `Problem` located by
 * file, line and column.
 */
export type Severity = 'error' | 'warning';
export type PathSegment = string | number;

export interface Finding {
  severity: Severity;
  /** where in the runbook, as written (a step is `['actions', 'promote', 'steps', 0, 'fence-writes']`) */
  path: PathSegment[];
  message: string;
  expected?: string;
  /** point at the key rather than its value (unknown keys, missing keys) */
  at?: 'key' | 'value';
}

export interface Problem {
  severity: Severity;
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
  /** e.g. `clusters.east.bootstrap[0]`, or `(root)` */
  path: string;
  message: string;
  expected?: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `actions.promote.steps[0].fence-writes.cluster`; keys with dots are quoted: `clusters["kafka.a"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `file:line:col: path: message (expected ...)`; warnings say so after the location. */
export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}:`;
  const severity = p.severity === 'warning' ? ' warning:' : '';
  const expected = p.expected === undefined ? '' : ` (expected ${p.expected})`;
  return `${where}${severity} ${p.path}: ${p.message}${expected}`;
}

export function countBySeverity(problems: readonly Problem[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const p of problems) if (p.severity === 'error') errors++;
  return { errors, warnings: problems.length - errors };
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col;
}
