import type { core } from 'zod';
import { suggestion } from './didYouMean.js';
import { EXPECTED_FIELD, MISSING_FIELD, stampedExpectation } from './expecting.js';
import type { Finding, PathSegment } from './problems.js';

/**
 * Turns zod's issues into findings that read well: one per unknown key with a
 * "did you mean", the one union branch that fits instead of every branch's
 * complaint, a missing key pointed at its parent. Messages name types and
 * schema constants only, never the value that was given: it may be a secret.
 */

const KNOWN_KEYS_FIELD = 'knownKeys';

type RawIssue = core.$ZodRawIssue & Record<string, unknown>;

function typeWords(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a map';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

/** The kind of a value, never the value. */
function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a map';
  if (typeof input === 'number') return Number.isInteger(input) ? 'a whole number' : 'a number';
  if (typeof input === 'boolean') return 'true/false';
  if (typeof input === 'string') return 'a string';
  return typeof input;
}

function stamp(iss: RawIssue, expected: string | undefined): void {
  if (expected !== undefined && iss[EXPECTED_FIELD] === undefined) iss[EXPECTED_FIELD] = expected;
}

/**
 * The error map handed to `safeParse`: zod asks it for a message when a
 * schema has none of its own. It also keeps, on the issue, what `issuesToFindings`
 * needs later (the keys an object knows, whether a key was missing).
 */
export function runbookErrorMap(raw: core.$ZodRawIssue): string {
  const iss = raw as RawIssue;
  switch (iss.code) {
    case 'invalid_type': {
      stamp(iss, typeWords(String(iss.expected)));
      if (iss.input === undefined) {
        iss[MISSING_FIELD] = true;
        return 'required key is missing';
      }
      return `wrong type: got ${kindOf(iss.input)}`;
    }
    case 'invalid_value': {
      const values = (iss.values as unknown[]).map((v) => JSON.stringify(v));
      stamp(iss, values.length === 1 ? values[0] : `one of ${values.join(', ')}`);
      if (iss.input === undefined) {
        iss[MISSING_FIELD] = true;
        return 'required key is missing';
      }
      return 'not an allowed value';
    }
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'string') {
        stamp(iss, min <= 1 ? 'some text' : `at least ${min} characters`);
        return min <= 1 ? 'must not be empty' : 'too short';
      }
      if (iss.origin === 'array' || iss.origin === 'set') {
        stamp(iss, `at least ${min} item${min === 1 ? '' : 's'}`);
        return 'too few items';
      }
      stamp(iss, `a number ${iss.inclusive === false ? '>' : '>='} ${min}`);
      return 'too small';
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'string') {
        stamp(iss, `at most ${max} characters`);
        return 'too long';
      }
      if (iss.origin === 'array' || iss.origin === 'set') {
        stamp(iss, `at most ${max} item${max === 1 ? '' : 's'}`);
        return 'too many items';
      }
      stamp(iss, `a number ${iss.inclusive === false ? '<' : '<='} ${max}`);
      return 'too large';
    }
    case 'invalid_format':
      stamp(iss, typeof iss.pattern === 'string' ? `text matching ${iss.pattern}` : String(iss.format));
      return 'wrong format';
    case 'not_multiple_of':
      stamp(iss, `a multiple of ${String(iss.divisor)}`);
      return 'not a multiple';
    case 'unrecognized_keys': {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      iss[KNOWN_KEYS_FIELD] = shape ? Object.keys(shape) : [];
      return 'unknown key';
    }
    case 'invalid_key':
      return 'invalid key';
    case 'invalid_union':
      return 'matches none of the allowed forms';
    default:
      return 'invalid value';
  }
}

type Issue = core.$ZodIssue & Record<string, unknown>;

/** The loader lists at most a few hundred; past this, converting more is wasted work on a hostile file. */
export const MAX_FINDINGS = 5000;

/** How badly a union branch misses the shape of the input: issues at the union itself, or keys it lacks. */
function shapeMisses(issues: readonly Issue[]): number {
  let n = 0;
  for (const i of issues) {
    if (i.path.length === 0) n++;
    else if (i.path.length === 1 && i[MISSING_FIELD] === true) n++;
  }
  return n;
}

function convert(issue: Issue, base: PathSegment[], out: Finding[]): void {
  const path = [...base, ...(issue.path as PathSegment[])];
  const expected = stampedExpectation(issue);
  switch (issue.code) {
    case 'invalid_union': {
      const branches = (issue.errors as Issue[][] | undefined) ?? [];
      const misses = branches.map(shapeMisses);
      const best = Math.min(...misses);
      const fits = misses.filter((m) => m === best).length;
      if (branches.length > 0 && best === 0 && fits === 1) {
        for (const i of branches[misses.indexOf(best)]!) convert(i, path, out);
        return;
      }
      out.push(finding(path, issue.message, expected));
      return;
    }
    case 'unrecognized_keys': {
      const known = (issue[KNOWN_KEYS_FIELD] as string[] | undefined) ?? [];
      const oneOf = known.length ? `one of ${known.join(', ')}` : undefined;
      for (const key of issue.keys as string[]) {
        if (out.length >= MAX_FINDINGS) return;
        if (key === '<<') {
          out.push({ ...finding([...path, key], 'merge keys (<<) are not supported', 'an alias for the whole value instead: key: *anchor'), at: 'key' });
          continue;
        }
        out.push({
          ...finding([...path, key], `unknown key "${key}"${suggestion(key, known)}`, oneOf),
          at: 'key',
        });
      }
      return;
    }
    case 'invalid_key': {
      const inner = (issue.issues as Issue[] | undefined) ?? [];
      const first = inner[0];
      out.push({
        ...finding(path, first ? first.message : issue.message, first ? stampedExpectation(first) : expected),
        at: 'key',
      });
      return;
    }
    default:
      out.push({ ...finding(path, issue.message, expected), ...(issue[MISSING_FIELD] === true ? { at: 'key' as const } : {}) });
  }
}

function finding(path: PathSegment[], message: string, expected: string | undefined): Finding {
  return { severity: 'error', path, message, ...(expected === undefined ? {} : { expected }) };
}

export function issuesToFindings(issues: readonly core.$ZodIssue[]): Finding[] {
  const out: Finding[] = [];
  for (const i of issues) {
    if (out.length >= MAX_FINDINGS) break;
    convert(i as Issue, [], out);
  }
  return out;
}

