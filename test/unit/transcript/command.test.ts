import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { transcriptShow, transcriptVerify } from '../../../src/commands/transcript.js';
import { tmpFile } from './helpers.js';
import { revertOkTranscript } from './revertOk.js';

const FIXTURE = revertOkTranscript();

let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

function tampered(): string {
  const path = tmpFile();
  copyFileSync(FIXTURE, path);
  const ls = readFileSync(path, 'utf8').split('\n');
  ls[4] = ls[4]!.replace('"score":2', '"score":1');
  writeFileSync(path, ls.join('\n'));
  return path;
}

describe('transcript verify', () => {
  it('exits 0 and prints the last hash when the chain holds', async () => {
    expect(await transcriptVerify(FIXTURE)).toBe(0);
    expect(stdout).toMatch(/chain holds, \d+ entries\n/);
    expect(stdout).toMatch(/last hash [0-9a-f]{64}/);
  });

  it('exits 1 and names the broken line', async () => {
    const path = tampered();
    expect(await transcriptVerify(path)).toBe(1);
    expect(stderr).toContain(`error: ${path}:5: hash does not match`);
    expect(stderr).toContain('hint: the first 4 entries hold');
  });

  it('exits 2 with a hint when the file is missing', async () => {
    expect(await transcriptVerify('/nonexistent/t.jsonl')).toBe(2);
    expect(stderr).toContain('error: no transcript at /nonexistent/t.jsonl');
    expect(stderr).toContain('hint:');
    expect(stdout).toBe('');
  });

  it('prints one JSON document under --json', async () => {
    expect(await transcriptVerify(tampered(), { json: true })).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, entries: 4, firstBad: { line: 5 } });
  });
});

describe('transcript show', () => {
  it('prints Markdown', async () => {
    expect(await transcriptShow(FIXTURE)).toBe(0);
    expect(stdout).toContain('# revert — orders-east-west');
    expect(stderr).toBe('');
  });

  it('warns on stderr when the chain is broken, and still renders', async () => {
    const path = tampered();
    expect(await transcriptShow(path)).toBe(0);
    expect(stderr).toContain(`warning: ${path}:5: hash does not match`);
    expect(stdout).toContain('**broken** at line 5');
  });

  it('prints the entries as JSON under --json', async () => {
    expect(await transcriptShow(FIXTURE, { json: true })).toBe(0);
    const doc = JSON.parse(stdout) as { entries: { type: string }[]; chain: { ok: boolean } };
    expect(doc.chain.ok).toBe(true);
    expect(doc.entries[0]?.type).toBe('run-started');
  });

  it('exits 2 when the file is missing', async () => {
    expect(await transcriptShow('/nonexistent/t.jsonl')).toBe(2);
  });
});
