import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../src/runbook/didYouMean.js';
import { formatDuration, parseDuration } from '../../../src/runbook/duration.js';
import { formatPath } from '../../../src/runbook/problems.js';
import { SecretRegistry } from '../../../src/runbook/secrets.js';
import { stepParams, STEP_TYPES } from '../../../src/runbook/steps.js';
import { renderArgv, templateProblems, type TemplateContext } from '../../../src/runbook/templates.js';

describe('durations', () => {
  it('reads 500ms, 30s, 2m and 1h as milliseconds', () => {
    expect(['500ms', '30s', '2m', '1h', '0s'].map(parseDuration)).toEqual([500, 30_000, 120_000, 3_600_000, 0]);
  });
  it('refuses anything else', () => {
    expect(['2 minutes', '2d', '1m30s', '-1s', '1.5s', '30', ''].map(parseDuration)).toEqual(Array(7).fill(undefined));
  });
  it('writes the shortest exact form', () => {
    expect([500, 30_000, 90_000, 120_000, 3_600_000].map(formatDuration)).toEqual(['500ms', '30s', '90s', '2m', '1h']);
  });
});

describe('templates', () => {
  const ctx: TemplateContext = {
    source: { bootstrap: '127.0.0.1:19092', name: 'east', region: 'lab-east', alias: 'east' },
    target: { bootstrap: '127.0.0.1:29092', name: 'west', region: 'lab-west', alias: 'west' },
    runbook: { name: 'orders' },
    transcript: { path: '/tmp/t.jsonl' },
  };
  it('fills the fixed set of names', () => {
    expect(renderArgv(['kill', '{{source.name}}', '--to={{ target.bootstrap }}', '{{runbook.name}}:{{transcript.path}}'], ctx)).toEqual([
      'kill',
      'east',
      '--to=127.0.0.1:29092',
      'orders:/tmp/t.jsonl',
    ]);
  });
  it('names unknown variables and unbalanced braces instead of rendering them empty', () => {
    expect(templateProblems('{{source.nmae}}')).toEqual([{ kind: 'unknown', name: 'source.nmae' }]);
    expect(templateProblems('{{env.HOME}}')).toEqual([{ kind: 'unknown', name: 'env.HOME' }]);
    expect(templateProblems('{{target.bootstrap}')).toEqual([{ kind: 'unclosed' }]);
    expect(() => renderArgv(['{{nope}}'], ctx)).toThrow('unknown template variable {{nope}}');
  });
});

describe('didYouMean', () => {
  it('suggests the close candidate, or nothing', () => {
    expect(didYouMean('bootstarp', ['bootstrap', 'auth'])).toBe('bootstrap');
    expect(didYouMean('Clusters', ['clusters'])).toBe('clusters');
    expect(didYouMean('translate-offset', ['translate-offsets', 'wait'])).toBe('translate-offsets');
    expect(didYouMean('zzz', ['bootstrap', 'auth'])).toBeUndefined();
  });
});

describe('SecretRegistry', () => {
  it('redacts a secret, its JSON-escaped form and each line of a multi-line one', () => {
    const s = new SecretRegistry();
    s.add('pa"ss\\word-1');
    s.add('-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----');
    expect(s.redact('x pa"ss\\word-1 y')).toBe('x [redacted] y');
    expect(s.redact(JSON.stringify({ v: 'pa"ss\\word-1' }))).toBe('{"v":"[redacted]"}');
    expect(s.redact('line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC leaked')).toBe('line [redacted] leaked');
  });
  it('redacts a short secret only where it stands alone', () => {
    const s = new SecretRegistry();
    s.add('ab1');
    expect(s.redact('ab1 and xab1y')).toBe('[redacted] and xab1y');
  });
  it('hands out a bound function, for the transcript writer', () => {
    const s = new SecretRegistry();
    s.add('hunter2-hunter2');
    const redact = s.redact;
    expect(redact('pw=hunter2-hunter2')).toBe('pw=[redacted]');
    expect(s.redactDeep({ 'hunter2-hunter2': ['hunter2-hunter2', 3] })).toEqual({ '[redacted]': ['[redacted]', 3] });
  });
  it('redactDeep hands back a value without secrets as it is, and finds them wherever JSON text hides them', () => {
    const s = new SecretRegistry();
    s.add('pa"ss\\word');
    s.add('ab1');
    const clean = { a: ['x', { b: 'ab12', c: 3n }], d: 'pa ss' };
    expect(s.redactDeep({ a: ['x'], d: 'pa ss' })).toEqual({ a: ['x'], d: 'pa ss' });
    const same = { a: ['x'], n: 1 };
    expect(s.redactDeep(same)).toBe(same);
    // JSON writes the quote and backslash escaped; the short secret follows an escape (\n), which looks like a word character in JSON text.
    expect(s.redactDeep({ k: ['is pa"ss\\word'], m: 'line\nab1' })).toEqual({ k: ['is [redacted]'], m: 'line\n[redacted]' });
    // A value JSON cannot write (a bigint) is walked, not skipped.
    expect(s.redactDeep({ ...clean, e: 'ab1' })).toEqual({ ...clean, e: '[redacted]' });
  });
});

describe('step registry', () => {
  it('exports one params schema per step type, the same ones the loader uses', () => {
    expect(STEP_TYPES).toEqual(['fence-writes', 'unfence-writes', 'wait-replication', 'translate-offsets', 'switch-route', 'pause-link', 'resume-link', 'run', 'confirm', 'wait', 'verify', 'set-roles']);
    expect(stepParams.run.parse({ command: ['./x.sh'] })).toEqual({ command: ['./x.sh'], timeout: 60_000, expectExit: 0 });
    expect(stepParams['fence-writes'].safeParse({ cluster: 'primary', extra: 1 }).success).toBe(false);
  });
});

describe('formatPath', () => {
  it('writes dotted paths, indexes and quoted odd keys', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['actions', 'promote', 'steps', 0, 'fence-writes', 'cluster'])).toBe('actions.promote.steps[0].fence-writes.cluster');
    expect(formatPath(['clusters', 'kafka.a', 'bootstrap'])).toBe('clusters["kafka.a"].bootstrap');
  });
});
