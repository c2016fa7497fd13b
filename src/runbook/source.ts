import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';

/**
 * Reading a runbook file without trusting it: a size cap checked before the
 * bytes are read (and enforced while reading, for pipes and devices that
 * report no size), no NUL bytes, valid UTF-8. Synchronous on purpose: one
 * small file, and `validate` pays for every module and promise it touches.
 */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

export type SourceResult =
  | { ok: true; text: string; contentHash: string }
  | { ok: false; message: string; expected?: string; offset?: number; text?: string; contentHash?: string };

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function readRunbookSource(path: string, maxBytes = MAX_RUNBOOK_BYTES): SourceResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: 'no such file', expected: 'a runbook YAML file' };
    if (code === 'EISDIR') return { ok: false, message: 'this is a folder', expected: 'a runbook YAML file' };
    return { ok: false, message: `cannot open the file (${code ?? 'error'})` };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { ok: false, message: 'this is a folder', expected: 'a runbook YAML file' };
    if (stat.size > maxBytes) {
      return { ok: false, message: `file is ${mib(stat.size)}; too large for a runbook`, expected: `at most ${mib(maxBytes)}` };
    }
    // Read at most one byte past the cap, whatever stat said.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(stat.size, 64 * 1024)) + 1);
    let bytes = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      bytes = Buffer.concat([bytes, buf.subarray(0, n)]);
      if (bytes.length > maxBytes) return { ok: false, message: `file is larger than ${mib(maxBytes)}; too large for a runbook`, expected: `at most ${mib(maxBytes)}` };
    }
    const contentHash = createHash('sha256').update(bytes).digest('hex');
    return decode(bytes, contentHash);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return { ok: false, message: 'this is a folder', expected: 'a runbook YAML file' };
    return { ok: false, message: `cannot read the file (${code ?? 'error'})` };
  } finally {
    closeSync(fd);
  }
}

function decode(bytes: Buffer, contentHash: string): SourceResult {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return { ok: false, message: 'binary data (a NUL byte); not a YAML text file', expected: 'UTF-8 text', offset: nul, text: safePrefix(bytes, nul), contentHash };
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    return { ok: false, message: 'not valid UTF-8 text', expected: 'UTF-8 text', offset: bad, text: safePrefix(bytes, bad), contentHash };
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text, contentHash };
}

/** The text before a bad byte, so the problem can name its line and column. */
function safePrefix(bytes: Buffer, end: number): string {
  return bytes.subarray(0, end).toString('utf8');
}

/** Offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF included), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if (c >= 0xf0 && c <= 0xf4) [need, min, cp] = [3, 0x10000, c & 0x07];
    else return i;
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
