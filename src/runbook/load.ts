import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import { FailoverError, ExitCode } from '../errors.js';
import { issuesToFindings, MAX_FINDINGS, runbookErrorMap } from './issues.js';
import { interpolate, TooManyNodesError } from './interpolate.js';
import { placeOf } from './locate.js';
import { withAbsolutePaths } from './paths.js';
import { compareProblems, formatPath, formatProblem, type Finding, type PathSegment, type Problem, type Severity } from './problems.js';
import { runbookSchema, type Runbook } from './schema.js';
import { processSecrets, SecretRegistry } from './secrets.js';
import { checkSemantics } from './semantics.js';
import { readRunbookSource } from './source.js';
import { parseYaml, toData, topLevelKind } from './yamlDoc.js';

export interface LoadOptions {
  /** where `${env:...}` reads from (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** an unset `${env:...}` or a missing `${file:...}`: an error (default), or a warning for static validation */
  missingInterpolation?: Severity;
  /** how the file is named in problems (default: the path as given) */
  displayPath?: string;
  /** size cap in bytes (default 1 MiB) */
  maxBytes?: number;
}

export interface LoadResult {
  /** present only when there is no error */
  runbook?: Runbook;
  /** every problem found, errors and warnings, in file order */
  problems: Problem[];
  /** sha256 (hex) of the file's bytes; absent when the file could not be read */
  contentHash?: string;
  /** the values `${env:...}`/`${file:...}` brought in (also added to the process-wide registry) */
  secrets: SecretRegistry;
  /** the file as named in problems */
  file: string;
  /** the runbook's folder: relative paths and commands start here */
  baseDir: string;
}

export interface LoadedRunbook extends LoadResult {
  runbook: Runbook;
  contentHash: string;
}

// zod compiles a fast parser per schema on first use; a CLI that parses one
// runbook and exits never earns that back, so parse with the interpreter.
z.config({ jitless: true });

/** A well-formed runbook file has far fewer values than this; a bigger count means aliases multiplied it. */
const MAX_VALUES = 50_000;

/**
 * Past this many, problems are counted rather than listed: nobody reads the
 * thousandth, and a hostile file can produce one per value.
 */
export const MAX_PROBLEMS = 500;

const TOP_LEVEL_EXPECTED = 'a map with version: 1, name, clusters, roles, link, workload and actions';

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

function lineColAt(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = (before.match(/\n/g)?.length ?? 0) + 1;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

function under(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => String(seg) === String(path[i]));
}

/**
 * Reads, parses, interpolates and checks a runbook, and reports every problem
 * at once, each at file:line:col. Never throws for a bad runbook.
 */
export async function loadRunbook(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const abs = resolve(path);
  const file = opts.displayPath ?? path;
  const baseDir = dirname(abs);
  const secrets = new SecretRegistry();
  const result = (problems: Problem[], extra: Partial<LoadResult> = {}): LoadResult => ({
    problems: capped(problems.sort(compareProblems)).map((p) => redactProblem(p, secrets)),
    secrets,
    file,
    baseDir,
    ...extra,
  });
  const at = (severity: Severity, line: number, col: number, path: readonly PathSegment[], message: string, expected?: string): Problem => ({
    severity,
    file,
    line,
    col,
    path: formatPath(path),
    message,
    ...(expected === undefined ? {} : { expected }),
  });

  const source = readRunbookSource(abs, opts.maxBytes);
  if (!source.ok) {
    const { line, col } = source.offset !== undefined && source.text !== undefined ? lineColAt(source.text, source.offset) : { line: 1, col: 1 };
    return result([at('error', line, col, [], source.message, source.expected)], source.contentHash ? { contentHash: source.contentHash } : {});
  }
  const { contentHash } = source;

  const parsed = parseYaml(source.text);
  const { doc, lines } = parsed;
  const problems: Problem[] = parsed.problems.map((p) => {
    const { line, col } = lines.linePos(p.offset);
    return at(p.severity, line, col, p.path, p.message, p.expected);
  });
  if (!parsed.usable) return result(problems, { contentHash });

  const kind = topLevelKind(doc);
  if (kind !== 'map') {
    const message = kind === 'empty' ? 'the runbook is empty' : `the top level is ${kind === 'list' ? 'a list' : kind === 'alias' ? 'an alias' : 'a single value'}`;
    const { line, col } = kind === 'empty' ? { line: 1, col: 1 } : lines.linePos(doc.contents?.range?.[0] ?? 0);
    return result([...problems, at('error', line, col, [], message, TOP_LEVEL_EXPECTED)], { contentHash });
  }

  const data = toData(doc);
  if (!data.ok) {
    const { line, col } = lines.linePos(data.problem.offset);
    return result([...problems, at('error', line, col, data.problem.path, data.problem.message, data.problem.expected)], { contentHash });
  }

  let interpolated;
  try {
    interpolated = interpolate(data.data, {
      env: opts.env ?? process.env,
      baseDir,
      missing: opts.missingInterpolation ?? 'error',
      maxNodes: MAX_VALUES,
    });
  } catch (e) {
    if (!(e instanceof TooManyNodesError)) throw e;
    return result([...problems, at('error', 1, 1, [], `the runbook expands to more than ${e.limit} values (anchors and aliases?)`, 'a runbook of ordinary size')], { contentHash });
  }
  secrets.addAll(interpolated.secrets);
  processSecrets.addAll(interpolated.secrets);

  const findings: Finding[] = [...interpolated.findings];
  const parsedRunbook = runbookSchema.safeParse(interpolated.value, { error: runbookErrorMap });
  let runbook: Runbook | undefined;
  if (parsedRunbook.success) {
    runbook = withAbsolutePaths(parsedRunbook.data, baseDir);
    findings.push(...checkSemantics(runbook));
  } else {
    // A value whose variable is unset cannot be judged; its absence is already reported.
    const judged = issuesToFindings(parsedRunbook.error.issues).filter((f) => !interpolated.unresolved.some((u) => under(f.path, u)));
    findings.push(...judged);
  }
  for (const f of findings) {
    const { line, col } = placeOf(doc, lines, f.path, f.at);
    problems.push(at(f.severity, line, col, f.path, f.message, f.expected));
  }
  const done = result(problems, { contentHash });
  return hasErrors(done.problems) || runbook === undefined ? done : { ...done, runbook };
}

function capped(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const shown = problems.slice(0, MAX_PROBLEMS);
  const rest = problems.length - MAX_PROBLEMS;
  const last = shown[shown.length - 1]!;
  const errors = problems.slice(MAX_PROBLEMS).filter((p) => p.severity === 'error').length;
  // Schema issues stop converting at MAX_FINDINGS, so past it the count is a floor.
  const count = problems.length >= MAX_FINDINGS ? `at least ${rest}` : `${rest}`;
  shown.push({ ...last, severity: errors > 0 ? 'error' : 'warning', path: '(root)', message: `${count} more problems after line ${last.line} not listed`, expected: 'fewer mistakes: fix these and validate again' });
  return shown;
}

function redactProblem(p: Problem, secrets: SecretRegistry): Problem {
  const r = (s: string) => processSecrets.redact(secrets.redact(s));
  return { ...p, path: r(p.path), message: r(p.message), ...(p.expected === undefined ? {} : { expected: r(p.expected) }) };
}

/** Loads a runbook for an action: any error throws a FailoverError (exit 2) listing every problem. */
export async function loadRunbookOrThrow(path: string, opts: LoadOptions = {}): Promise<LoadedRunbook> {
  const loaded = await loadRunbook(path, opts);
  if (loaded.runbook === undefined || loaded.contentHash === undefined || hasErrors(loaded.problems)) {
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    throw new FailoverError(`${loaded.file}: the runbook is not valid (${errors.length} error${errors.length === 1 ? '' : 's'})\n${errors.map(formatProblem).join('\n')}`, {
      exitCode: ExitCode.usage,
      hint: `run \`failover validate ${loaded.file}\` for every problem, warnings included`,
    });
  }
  return { ...loaded, runbook: loaded.runbook, contentHash: loaded.contentHash };
}
