import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { pathAt } from './locate.js';
import type { PathSegment, Severity } from './problems.js';

/**
 * YAML to a Document that keeps every node's position, and from there to
 * plain data, with YAML's own complaints rephrased for an operator.
 */

/**
 * yaml counts an alias by the aliases it expands to; a runbook that shares an
 * auth block between clusters needs a handful. A billion-laughs file needs
 * millions and is refused before anything is expanded.
 */
export const MAX_ALIAS_COUNT = 100;

export interface SourceProblem {
  severity: Severity;
  offset: number;
  path: PathSegment[];
  message: string;
  expected?: string;
}

export interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  problems: SourceProblem[];
  /** no YAML error (duplicate keys aside): the data is worth checking */
  usable: boolean;
}

/**
 * One broken line can make yaml report every token after it. Past this many
 * syntax errors the rest are summed up in one line: they rarely survive a fix
 * of the first.
 */
const MAX_SYNTAX_ERRORS = 5;

export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  // yaml's uniqueKeys compares every key with every other one in its map:
  // quadratic, minutes for a hostile 1 MiB map. duplicateKeys() finds them in one pass.
  // Merge keys (`<<: *base`) are off, as YAML 1.2 has them: each merge copies
  // a whole map, and yaml's alias limit does not count copies, so a 1 MiB file
  // of merges could expand to billions of keys. Aliases share, never copy.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, merge: false, prettyErrors: false, keepSourceTokens: false });
  const problems = [...capped(doc, lines, text, doc.errors, 'error'), ...capped(doc, lines, text, doc.warnings, 'warning')];
  problems.push(...duplicateKeys(doc, lines));
  return { doc, lines, problems, usable: doc.errors.length === 0 };
}

/** One problem per line, at most MAX_SYNTAX_ERRORS, then a count of the rest. */
function capped(doc: Document, lines: LineCounter, text: string, errors: readonly YAMLError[], severity: Severity): SourceProblem[] {
  const out: SourceProblem[] = [];
  const seenLines = new Set<number>();
  let dropped = 0;
  for (const e of errors) {
    const line = lines.linePos(e.pos[0]).line;
    if (seenLines.has(line)) continue;
    if (seenLines.size >= MAX_SYNTAX_ERRORS) {
      dropped++;
      continue;
    }
    seenLines.add(line);
    out.push(rephrase(doc, lines, text, e, severity));
  }
  const last = out[out.length - 1];
  if (dropped > 0 && last) {
    out.push({
      severity,
      offset: last.offset,
      path: [],
      message: `${dropped} more YAML ${severity}${dropped === 1 ? '' : 's'} after this one${severity === 'error' ? ', most likely caused by the ones above' : ''}`,
      expected: 'a fix of the first, then validate again',
    });
  }
  return out;
}

/** `${env:X}` unquoted inside `{ }` or `[ ]`: YAML reads its braces as flow syntax. */
function unquotedReferenceInFlow(text: string, offset: number): boolean {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  // A bounded look at one line: this runs on hostile input too.
  const line = text.slice(start, Math.min(end < 0 ? text.length : end, start + 4096));
  const ref = line.search(/\$\{(?:env|file):/);
  return ref > 0 && !`"'`.includes(line[ref - 1]!) && /[[{,]/.test(line.slice(0, ref));
}

function rephrase(doc: Document, lines: LineCounter, text: string, e: YAMLError, severity: Severity): SourceProblem {
  const offset = e.pos[0];
  const path = pathAt(doc, offset);
  const base = { severity, offset, path };
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return { ...base, message: 'tab character in indentation', expected: 'spaces: YAML indents with spaces only' };
    case 'MISSING_CHAR': {
      // yaml notices a runaway quote at the end of the file; the operator needs where it opened.
      const opened = /quote/.test(e.message) ? runawayQuoteStart(doc, offset) : undefined;
      if (opened === undefined) return { ...base, message: `YAML syntax: ${e.message}` };
      return { ...base, offset: opened, path: pathAt(doc, opened), message: 'a quoted string starts here and never ends', expected: 'a closing quote' };
    }
    case 'MULTIPLE_DOCS':
      return { ...base, path: [], message: 'a second YAML document (---) in the file', expected: 'one document per runbook' };
    default:
      if (severity === 'error' && unquotedReferenceInFlow(text, offset)) {
        return { ...base, message: 'a ${env:...} or ${file:...} inside { } or [ ] must be quoted', expected: 'quotes around it: "${env:NAME}"' };
      }
      return { ...base, message: `YAML syntax: ${e.message.replace(/\s*at line \d+, column \d+[\s\S]*$/, '')}` };
  }
}

/** Past this many, duplicate keys are counted, not listed. */
const MAX_DUPLICATES = 20;

/** Every key repeated within its map, in one pass over the document. */
function duplicateKeys(doc: Document, lines: LineCounter): SourceProblem[] {
  const found: SourceProblem[] = [];
  let more = 0;
  visit(doc, {
    Map(_key, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        const start = pair.key.range?.[0] ?? 0;
        const first = seen.get(k);
        if (first === undefined) {
          seen.set(k, start);
          continue;
        }
        if (found.length >= MAX_DUPLICATES) {
          more++;
          continue;
        }
        found.push({
          severity: 'error',
          offset: start,
          path: pathAt(doc, start),
          message: `duplicate key "${k}" (first defined on line ${lines.linePos(first).line})`,
          expected: 'each key once per map',
        });
      }
    },
  });
  if (more > 0) {
    found.push({ severity: 'error', offset: found[found.length - 1]!.offset, path: [], message: `${more} more duplicate keys`, expected: 'each key once per map' });
  }
  return found;
}

function runawayQuoteStart(doc: Document, errorOffset: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_k, node) {
      const r = node.range;
      if (r && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && r[0] < errorOffset && r[1] >= errorOffset - 1) start = r[0];
    },
  });
  return start;
}

export type ToDataResult = { ok: true; data: unknown } | { ok: false; problem: SourceProblem };

/** Plain data from the document, refusing alias bombs and dangling aliases. */
export function toData(doc: Document): ToDataResult {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/excessive alias count/i.test(message)) {
      return {
        ok: false,
        problem: {
          severity: 'error',
          offset: firstAliasOffset(doc),
          path: [],
          message: 'anchors and aliases expand too far (an alias bomb?); refused before expanding them',
          expected: `aliases that expand to at most ${MAX_ALIAS_COUNT} nodes`,
        },
      };
    }
    const dangling = danglingAlias(doc);
    if (dangling) return { ok: false, problem: dangling };
    return { ok: false, problem: { severity: 'error', offset: 0, path: [], message: `cannot read the YAML data: ${message}` } };
  }
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_k, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function danglingAlias(doc: Document): SourceProblem | undefined {
  let problem: SourceProblem | undefined;
  visit(doc, {
    Alias(_k, node) {
      if (node.resolve(doc) === undefined) {
        const offset = node.range?.[0] ?? 0;
        problem = {
          severity: 'error',
          offset,
          path: pathAt(doc, offset),
          message: `alias *${node.source} refers to no anchor`,
          expected: `an anchor &${node.source} defined before the alias`,
        };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return problem;
}

export type TopLevelKind = 'map' | 'empty' | 'list' | 'scalar' | 'alias';

export function topLevelKind(doc: Document): TopLevelKind {
  const c = doc.contents;
  if (c === null || (isScalar(c) && c.value === null && (c.range?.[0] ?? 0) === (c.range?.[1] ?? 0))) return 'empty';
  if (isMap(c)) return 'map';
  if (isSeq(c)) return 'list';
  if (isAlias(c)) return 'alias';
  return 'scalar';
}
