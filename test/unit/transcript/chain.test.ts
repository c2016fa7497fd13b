import { appendFileSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, chainHash } from '../../../src/transcript/chain.js';
import { parseTranscript, verifyChain } from '../../../src/transcript/reader.js';
import { lines, tmpFile, writeLines, writeSample } from './helpers.js';

function sample(): { path: string; ls: string[]; lastHash: string } {
  const path = tmpFile();
  const w = writeSample(path);
  w.close();
  return { path, ls: lines(path), lastHash: w.lastHash };
}

const verifyFile = (path: string) => verifyChain(parseTranscript(readFileSync(path)));

describe('verifyChain', () => {
  it('holds for what the writer wrote', () => {
    const { path, lastHash } = sample();
    expect(verifyFile(path)).toEqual({ ok: true, entries: 6, lastHash, finished: true });
  });

  it('chains the first entry from 64 zeros', () => {
    const { ls } = sample();
    const { hash, ...rest } = JSON.parse(ls[0]!) as Record<string, unknown>;
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(hash).toBe(chainHash(GENESIS_HASH, rest));
  });

  it('does not depend on key order or whitespace', () => {
    const { path, ls } = sample();
    const reordered = ls.map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      const keys = Object.keys(o).reverse();
      return JSON.stringify(Object.fromEntries(keys.map((k) => [k, o[k]])), null, 0).replace(/,/g, ', ');
    });
    writeLines(path, reordered);
    expect(verifyFile(path).ok).toBe(true);
  });

  it('names an edited line', () => {
    const { path, ls } = sample();
    ls[2] = ls[2]!.replace('"acls":1', '"acls":2');
    writeLines(path, ls);
    const r = verifyFile(path);
    expect(r.ok).toBe(false);
    expect(r.entries).toBe(2);
    expect(r.firstBad?.line).toBe(3);
    expect(r.firstBad?.reason).toMatch(/hash does not match.*edited/);
  });

  it('names the next line when an edited line has its own hash recomputed', () => {
    const { path, ls } = sample();
    const o = JSON.parse(ls[2]!) as Record<string, unknown>;
    const prev = (JSON.parse(ls[1]!) as { hash: string }).hash;
    o.summary = 'nothing to see';
    delete o.hash;
    o.hash = chainHash(prev, o);
    ls[2] = JSON.stringify(o);
    writeLines(path, ls);
    expect(verifyFile(path).firstBad?.line).toBe(4);
  });

  it('names a deleted line', () => {
    const { path, ls } = sample();
    ls.splice(3, 1);
    writeLines(path, ls);
    const r = verifyFile(path);
    expect(r.firstBad).toEqual({ line: 4, reason: expect.stringMatching(/seq 5 where 4 was expected; seq 4 is missing: a line was deleted/) as unknown });
  });

  it('names a deleted first line', () => {
    const { path, ls } = sample();
    writeLines(path, ls.slice(1));
    expect(verifyFile(path).firstBad).toMatchObject({ line: 1, reason: expect.stringMatching(/deleted/) as unknown });
  });

  it('names swapped lines', () => {
    const { path, ls } = sample();
    [ls[3], ls[4]] = [ls[4]!, ls[3]!];
    writeLines(path, ls);
    const r = verifyFile(path);
    expect(r.firstBad?.line).toBe(4);
    expect(r.firstBad?.reason).toMatch(/seq 4 is at line 5: lines were reordered/);
  });

  it('names a duplicated line', () => {
    const { path, ls } = sample();
    ls.splice(2, 0, ls[1]!);
    writeLines(path, ls);
    expect(verifyFile(path).firstBad).toMatchObject({ line: 3, reason: expect.stringMatching(/duplicated/) as unknown });
  });

  it('reports a torn last line without throwing', () => {
    const { path, ls } = sample();
    appendFileSync(path, '{"v":1,"seq":7,"time":"2026-01-15T09:00:06.000Z","type":"no');
    const read = parseTranscript(readFileSync(path));
    expect(read.entries).toHaveLength(6);
    expect(read.torn).toMatchObject({ line: 7, offset: Buffer.byteLength(ls.join('\n') + '\n') });
    const r = verifyChain(read);
    expect(r).toMatchObject({ ok: false, entries: 6, finished: true });
    expect(r.firstBad).toMatchObject({ line: 7, reason: expect.stringMatching(/^torn last line/) as unknown });
  });

  it('treats a complete entry that lost its newline as torn too', () => {
    const { path, ls } = sample();
    writeLines(path, ls.slice(0, 5));
    appendFileSync(path, ls[5]!);
    expect(verifyFile(path).firstBad?.line).toBe(6);
  });

  it('names a line that is not an entry', () => {
    const { path, ls } = sample();
    ls.splice(2, 0, 'garbage');
    writeLines(path, ls);
    expect(verifyFile(path).firstBad).toMatchObject({ line: 3, reason: expect.stringMatching(/not JSON/) as unknown });
    ls[2] = '';
    writeLines(path, ls);
    expect(verifyFile(path).firstBad).toMatchObject({ line: 3, reason: 'empty line' });
  });

  it('refuses a version it does not know', () => {
    const { path, ls } = sample();
    ls[1] = ls[1]!.replace('"v":1', '"v":2');
    writeLines(path, ls);
    expect(verifyFile(path).firstBad).toMatchObject({ line: 2, reason: expect.stringMatching(/unsupported transcript version 2/) as unknown });
  });

  it('requires the chain to start with run-started', () => {
    const o = { v: 1, seq: 1, time: '2026-01-01T00:00:00.000Z', type: 'note', text: 'hi' };
    const entry = { ...o, hash: chainHash(GENESIS_HASH, o) };
    const r = verifyChain(parseTranscript(JSON.stringify(entry) + '\n'));
    expect(r.firstBad).toMatchObject({ line: 1, reason: 'the first entry is note, not run-started' });
  });

  it('accepts plain entries and says when the run did not finish', () => {
    const { ls } = sample();
    const entries = parseTranscript(ls.slice(0, 4).join('\n') + '\n').entries;
    expect(verifyChain(entries)).toMatchObject({ ok: true, entries: 4, finished: false });
  });

  it('is ok for an empty file', () => {
    expect(verifyChain(parseTranscript(''))).toEqual({ ok: true, entries: 0, lastHash: GENESIS_HASH, finished: false });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});
