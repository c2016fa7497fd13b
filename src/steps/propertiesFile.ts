import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ensureDir, fileError } from '../files.js';

/**
 * One key of a Java properties file (`key=value`, `key: value` or
 * `key value`), read and rewritten without touching any other line.
 * Values are taken as they stand: bootstrap lists need no escaping.
 */
export interface PropertiesFile {
  exists: boolean;
  text: string;
}

function keyPattern(key: string): RegExp {
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\s*${k}(\\s*[=:]\\s*|\\s+)(.*)$`);
}

const HINT = 'check the route file path in the runbook (routing.switch.file.path), and that failover may read and write it';

export function readProperties(path: string): PropertiesFile {
  try {
    return { exists: true, text: readFileSync(path, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, text: '' };
    throw fileError(e, 'read', path, HINT);
  }
}

/** The value of `key` (the last one wins, as java.util.Properties reads it), or null. */
export function getProperty(text: string, key: string): string | null {
  const re = keyPattern(key);
  let value: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*[#!]/.test(line)) continue;
    const m = re.exec(line);
    if (m) value = (m[2] ?? '').trim();
  }
  return value;
}

/** `text` with `key` set to `value` (null removes it); other lines stay as they are. */
export function setProperty(text: string, key: string, value: string | null): string {
  if (value !== null && getProperty(text, key) === value) return text;
  const re = keyPattern(key);
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const out: string[] = [];
  let done = false;
  for (const line of lines) {
    if (!/^\s*[#!]/.test(line) && re.test(line)) {
      if (value !== null && !done) out.push(`${key}=${value}`);
      done = true;
      continue;
    }
    out.push(line);
  }
  if (!done && value !== null) out.push(`${key}=${value}`);
  return out.length ? out.join('\n') + '\n' : '';
}

/**
 * Replaces the file in one step: a temporary file in the same folder,
 * fsynced, renamed over the original, then the folder fsynced. A reader sees
 * the old file or the new one, never half of either, and a crash leaves one
 * of the two. `exists: false` removes the file. A failure leaves the
 * original as it was and no temporary file behind, and names the path.
 */
export function writeAtomically(path: string, next: PropertiesFile): void {
  const dir = dirname(path);
  if (!next.exists) {
    try {
      rmSync(path, { force: true });
    } catch (e) {
      throw fileError(e, 'remove', path, HINT);
    }
  } else {
    ensureDir(dir, 'the folder of the route file', HINT);
    const tmp = join(dir, `.${basename(path)}.failover-${process.pid}.tmp`);
    try {
      writeFileSync(tmp, next.text, { mode: 0o644 });
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // The error that stopped the write is the one to report.
      }
      throw fileError(e, 'replace', path, HINT);
    }
  }
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Not every platform can fsync a folder; the rename itself is atomic.
  }
}
