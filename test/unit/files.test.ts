import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../src/errors.js';
import { ensureDir, ensureReadableFile, ensureWritableFile, folderToRead } from '../../src/files.js';
import { TranscriptWriter } from '../../src/transcript/writer.js';

const temp = () => mkdtempSync(join(tmpdir(), 'failover-files-'));
const HINT = 'do this instead';

function failure(f: () => unknown): FailoverError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FailoverError);
    return e as FailoverError;
  }
  throw new Error('expected a FailoverError');
}

describe('ensureDir', () => {
  it('makes a folder and its missing parents, and accepts one that is there', () => {
    const dir = temp();
    const target = join(dir, 'a', 'b', 'c');
    expect(ensureDir(target, 'the folder', HINT)).toBe(target);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(ensureDir(target, 'the folder', HINT)).toBe(target);
  });

  it('names the file in the way, at any depth', () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), '');
    const e = failure(() => ensureDir(join(dir, 'f', 'x', 'y'), 'the transcripts folder', HINT));
    expect(e.message).toBe(`cannot use ${join(dir, 'f', 'x', 'y')} as the transcripts folder: ${join(dir, 'f')} is a file, not a folder`);
    expect(e.hint).toBe(HINT);
    expect(e.exitCode).toBe(2);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it.runIf(existsSync('/proc/self'))('ends on a file system that refuses new folders (/proc), where a recursive mkdir never returns', () => {
    const t0 = Date.now();
    const e = failure(() => ensureDir('/proc/forbidden/x', 'the transcripts folder', HINT));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.message).toBe('cannot create the transcripts folder /proc/forbidden/x: /proc/forbidden: the file system does not allow a folder there (ENOENT)');
  });
});

describe('files to write and to read', () => {
  it('a report path that is a folder, or under a file, is refused; a new one gets its folder', () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), '');
    expect(failure(() => ensureWritableFile(dir, 'the --junit report', HINT)).message).toBe(`cannot write the --junit report ${dir}: it is a folder`);
    expect(failure(() => ensureWritableFile(join(dir, 'f', 'r.xml'), 'the --junit report', HINT)).message).toBe(`cannot use ${join(dir, 'f')} as the folder of the --junit report: ${join(dir, 'f')} is a file, not a folder`);
    expect(ensureWritableFile(join(dir, 'new', 'r.xml'), 'the --junit report', HINT)).toBe(join(dir, 'new', 'r.xml'));
    expect(statSync(join(dir, 'new')).isDirectory()).toBe(true);
  });

  it('a file to read must be a regular file; a folder to read may be missing, not a file', () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), '');
    expect(() => ensureReadableFile(join(dir, 'f'), 'transcript', HINT)).not.toThrow();
    expect(failure(() => ensureReadableFile(dir, 'transcript', HINT)).message).toBe(`cannot read transcript ${dir}: it is a folder`);
    expect(failure(() => ensureReadableFile(join(dir, 'none'), 'transcript', HINT)).message).toBe(`no transcript at ${join(dir, 'none')}`);
    expect(folderToRead(dir, 'the transcripts folder', HINT)).toBe(true);
    expect(folderToRead(join(dir, 'none'), 'the transcripts folder', HINT)).toBe(false);
    expect(failure(() => folderToRead(join(dir, 'f'), 'the transcripts folder', HINT)).message).toBe(`cannot read the transcripts folder ${join(dir, 'f')}: it is a file, not a folder`);
  });
});

describe('TranscriptWriter.create on a path that cannot hold a transcript', () => {
  it('says which path and what to do, with exit 2', () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), '');
    const e = failure(() => TranscriptWriter.create(join(dir, 'f', 'rb', 'run.jsonl')));
    expect(e.message).toBe(`cannot use ${join(dir, 'f', 'rb')} as the transcripts folder: ${join(dir, 'f')} is a file, not a folder`);
    expect(e.hint).toMatch(/^choose a folder failover can write with --transcripts <dir>/);
    expect(e.exitCode).toBe(2);
    mkdirSync(join(dir, 'run.jsonl'));
    expect(failure(() => TranscriptWriter.create(join(dir, 'run.jsonl'))).message).toBe(`cannot open the transcript ${join(dir, 'run.jsonl')}: it is a folder (EISDIR)`);
  });
});
