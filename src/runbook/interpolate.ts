import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Finding, PathSegment, Severity } from './problems.js';
import { SecretRegistry } from './secrets.js';

/**
 * `${env:NAME}` and `${file:path}` in string values. What they bring in is a
 * secret: it is registered, and no message here ever quotes it. `$${` writes
 * a literal `${`. Other `${...}` forms are left alone: a `run` command may
 * hand `${HOME}` to a shell on purpose.
 */
const REFERENCE = /\$(\$?)\{(env|file):([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A `${file:...}` holds a password or a key, not a data set. */
export const MAX_INTERPOLATED_FILE_BYTES = 64 * 1024;

export interface InterpolateOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** `${file:...}` paths are relative to this folder (the runbook's) */
  baseDir: string;
  /** how an unset variable or a missing file is reported */
  missing: Severity;
  /** stop walking after this many values (aliases can multiply a small file) */
  maxNodes: number;
}

export interface Interpolated {
  value: unknown;
  findings: Finding[];
  /** values that reference something absent; other checks cannot judge them */
  unresolved: PathSegment[][];
  secrets: SecretRegistry;
}

export class TooManyNodesError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} values`);
  }
}

export function interpolate(data: unknown, opts: InterpolateOptions): Interpolated {
  const findings: Finding[] = [];
  const unresolved: PathSegment[][] = [];
  const secrets = new SecretRegistry();
  let nodes = 0;

  const string = (text: string, path: PathSegment[]): string => {
    if (!text.includes('${')) return text;
    let missing = false;
    const out = text.replace(REFERENCE, (whole, escaped: string, kind: string, ref: string) => {
      if (escaped) return whole.slice(1);
      const got = kind === 'env' ? fromEnv(ref, path) : fromFile(ref, path);
      if (got === undefined) {
        missing = true;
        return whole;
      }
      if (got.length > 0) secrets.add(got);
      return got;
    });
    if (missing) unresolved.push(path);
    return out;
  };

  const fromEnv = (name: string, path: PathSegment[]): string | undefined => {
    if (!ENV_NAME.test(name)) {
      findings.push({ severity: 'error', path, message: `\${env:${name}}: not an environment variable name`, expected: 'letters, digits and _' });
      return undefined;
    }
    const v = opts.env[name];
    if (v === undefined) {
      findings.push({
        severity: opts.missing,
        path,
        message: `environment variable ${name} is not set`,
        expected: `${name} set in the environment`,
      });
    }
    return v;
  };

  const fromFile = (ref: string, path: PathSegment[]): string | undefined => {
    const p = ref.trim();
    if (p === '') {
      findings.push({ severity: 'error', path, message: '${file:} names no file', expected: '${file:path}, relative to the runbook folder' });
      return undefined;
    }
    const abs = isAbsolute(p) ? p : resolve(opts.baseDir, p);
    try {
      const size = statSync(abs).size;
      if (size > MAX_INTERPOLATED_FILE_BYTES) {
        findings.push({ severity: 'error', path, message: `\${file:${p}} is ${size} bytes`, expected: `at most ${MAX_INTERPOLATED_FILE_BYTES} bytes (a secret, not data)` });
        return undefined;
      }
      // One trailing newline is how editors and `echo` end a file, not part of the secret.
      return readFileSync(abs, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? 'error'})`;
      findings.push({ severity: code === 'ENOENT' ? opts.missing : 'error', path, message: `file ${p} ${reason}`, expected: 'a readable file, relative to the runbook folder' });
      return undefined;
    }
  };

  const walk = (v: unknown, path: PathSegment[]): unknown => {
    if (++nodes > opts.maxNodes) throw new TooManyNodesError(opts.maxNodes);
    if (typeof v === 'string') return string(v, path);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // defineProperty, so a key named __proto__ stays a key and never becomes a prototype
      for (const [k, item] of Object.entries(v)) {
        Object.defineProperty(out, k, { value: walk(item, [...path, k]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };

  const value = walk(data, []);
  return { value, findings, unresolved, secrets };
}
