import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/errors.js';
import { parseTranscript, verifyChain } from '../../../src/transcript/reader.js';
import { REDACTED } from '../../../src/transcript/redact.js';
import { TranscriptWriter, defaultTranscriptPath, fileSafeTime } from '../../../src/transcript/writer.js';
import type { EntryData } from '../../../src/transcript/entries.js';
import { clock, lines, tmpFile, writeSample } from './helpers.js';

const runStarted = (argv: string[] = ['promote', 'x.yaml']): EntryData => ({
  type: 'run-started',
  runbook: { path: 'x.yaml', name: 'x', sha256: 'b'.repeat(64) },
  action: 'promote',
  toolVersion: '0.1.0',
  operator: 'sam',
  host: 'h',
  pid: 1,
  argv,
});

const check = (path: string) => verifyChain(parseTranscript(readFileSync(path)));

describe('TranscriptWriter', () => {
  it('writes one JSON line per entry with the envelope first and the hash last', () => {
    const path = tmpFile();
    writeSample(path).close();
    const ls = lines(path);
    expect(ls).toHaveLength(6);
    const first = JSON.parse(ls[0]!) as Record<string, unknown>;
    expect(Object.keys(first).slice(0, 4)).toEqual(['v', 'seq', 'time', 'type']);
    expect(Object.keys(first).at(-1)).toBe('hash');
    expect(first).toMatchObject({ v: 1, seq: 1, time: '2026-01-15T09:00:00.000Z', type: 'run-started', operator: 'sam' });
    expect(ls.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('has each entry on disk when append returns', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path);
    const e = w.append(runStarted());
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(e) + '\n');
    w.close();
  });

  it('keeps the envelope its own: data cannot set seq, type or hash', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path);
    w.append(runStarted());
    w.append({ type: 'note', text: 'x', seq: 99, hash: 'f'.repeat(64), v: 7 } as EntryData);
    w.close();
    expect(JSON.parse(lines(path)[1]!)).toMatchObject({ v: 1, seq: 2, type: 'note' });
    expect(check(path).ok).toBe(true);
  });

  it('writes bigint offsets as decimal strings and keeps the chain', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path);
    w.append(runStarted());
    w.append({ type: 'note', text: 'offsets', data: { offset: 2n ** 63n - 1n, nothing: undefined } });
    w.close();
    expect(JSON.parse(lines(path)[1]!)).toMatchObject({ data: { offset: '9223372036854775807' } });
    expect(check(path).ok).toBe(true);
  });

  it('refuses to start in a file that already has entries', () => {
    const path = tmpFile();
    writeSample(path).close();
    expect(() => TranscriptWriter.create(path)).toThrow(/already has entries/);
  });

  it('creates missing folders', () => {
    const path = join(tmpFile('d'), 'a', 'b', 'run.jsonl');
    TranscriptWriter.create(path).close();
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('redaction at the writer', () => {
  const SECRET = 'hunter2-Pa55';

  function writeWithSecrets(redact: readonly string[]): string {
    const path = tmpFile();
    const w = TranscriptWriter.create(path, { redact });
    w.append(runStarted(['promote', 'x.yaml', `--password=${SECRET}`]));
    w.append({ type: 'note', text: `connecting with ${SECRET}`, data: { auth: { sasl: { password: SECRET, list: ['a', `pre${SECRET}post`] } }, [SECRET]: 'as a key' } });
    w.append({ type: 'step-applied', index: 0, step: 'run', outcome: { stdout: JSON.stringify({ token: SECRET }), pin: 482910 } });
    w.append({ type: 'note', text: 'quoted', data: { s: 'a"b\\c' } });
    w.close();
    return path;
  }

  it('never writes a secret, wherever it hides', () => {
    const path = writeWithSecrets([SECRET, '482910', 'a"b\\c']);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('482910');
    expect(text).not.toContain(JSON.stringify('a"b\\c').slice(1, -1));
    expect(text).toContain(`--password=${REDACTED}`);
    expect(text).toContain(`pre${REDACTED}post`);
    expect(check(path).ok).toBe(true);
  });

  it('takes a redactor function as well', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path, { redact: (t) => t.replaceAll(SECRET, '***') });
    w.append(runStarted());
    w.append({ type: 'note', text: 'x', data: { deep: [{ deeper: `x${SECRET}y` }] } });
    w.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('x***y');
    expect(check(path).ok).toBe(true);
  });

  it('returns the entry as written, redacted', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path, { redact: [SECRET] });
    const e = w.append({ type: 'note', text: SECRET });
    w.close();
    expect(e.text).toBe(REDACTED);
  });
});

describe('resume', () => {
  it('continues the seq and the hash chain', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path, { now: clock() });
    w.append(runStarted());
    w.append({ type: 'step-planned', index: 0, step: 'wait', plan: {} });
    const hashBefore = w.lastHash;
    w.close();

    const r = TranscriptWriter.resume(path, { now: clock() });
    expect(r.lastSeq).toBe(2);
    expect(r.lastHash).toBe(hashBefore);
    const e = r.append({ type: 'note', text: 'resumed' });
    r.append({ type: 'run-finished', outcome: 'ok', exitCode: 0 });
    r.close();
    expect(e.seq).toBe(3);
    expect(check(path)).toMatchObject({ ok: true, entries: 4, finished: true });
  });

  it('cuts a torn last line, notes it, and continues', () => {
    const path = tmpFile();
    writeSample(path).close();
    appendFileSync(path, '{"v":1,"seq":7,"ti');
    const r = TranscriptWriter.resume(path);
    r.append({ type: 'note', text: 'after' });
    r.close();
    const ls = lines(path);
    expect(ls).toHaveLength(8);
    expect(JSON.parse(ls[6]!)).toMatchObject({ seq: 7, type: 'note', data: { tornLine: 7, tornBytes: 18 } });
    expect(check(path)).toMatchObject({ ok: true, entries: 8 });
  });

  it('refuses a transcript whose chain is broken', () => {
    const path = tmpFile();
    writeSample(path).close();
    const ls = lines(path);
    writeFileSync(path, [ls[0], ls[2]].join('\n') + '\n');
    expect(() => TranscriptWriter.resume(path)).toThrow(FailoverError);
    expect(() => TranscriptWriter.resume(path)).toThrow(/line 2: .*deleted/);
  });

  it('says so when the file is missing', () => {
    expect(() => TranscriptWriter.resume(tmpFile('nope.jsonl'))).toThrow(/cannot read transcript/);
  });
});

describe('defaultTranscriptPath', () => {
  const at = new Date(Date.UTC(2026, 4, 1, 12, 30, 5, 123));

  it('is transcripts/<runbook>/<time>-<action>.jsonl with a file-safe time', () => {
    expect(fileSafeTime(at)).toBe('2026-05-01T12-30-05.123Z');
    expect(defaultTranscriptPath('orders-east-west', 'promote', at)).toBe(join('transcripts', 'orders-east-west', '2026-05-01T12-30-05.123Z-promote.jsonl'));
  });

  it('cannot be steered outside its root by a runbook name', () => {
    const p = defaultTranscriptPath('../../etc/x y', 'revert', at, '/srv/t');
    expect(resolve(p).startsWith('/srv/t/')).toBe(true);
    expect(p).toBe('/srv/t/__.._etc_x_y/2026-05-01T12-30-05.123Z-revert.jsonl');
  });
});
