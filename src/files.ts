import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ExitCode, FailoverError, errorMessage } from './errors.js';

/**
 * File-system errors as the operator should see them (which path, what went
 * wrong in words, what to do), and a folder creation that always ends.
 *
 * Node's `mkdir(..., { recursive: true })` never returns when the file system
 * refuses a new entry with ENOENT while the parent exists, as /proc does: it
 * creates the parent, retries the child, and loops at 100% CPU, holding the
 * event loop so that not even SIGINT is handled (nodejs/node, seen with
 * Node 20). ensureDir() walks up once and creates each missing folder once.
 */

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'something else already has that name',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

function codeOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Why an operation on `path` failed, in words, with the system's code. */
export function reasonOf(e: unknown): string {
  const code = codeOf(e);
  const words = code ? REASONS[code] : undefined;
  if (words) return `${words} (${code})`;
  return errorMessage(e);
}

/**
 * A FailoverError (exit 2: nothing was done) for a file-system error:
 * `cannot <doing> <path>: <reason>`, with the hint the caller knows best.
 */
export function fileError(e: unknown, doing: string, path: string, hint: string): FailoverError {
  if (e instanceof FailoverError) return e;
  return new FailoverError(`cannot ${doing} ${path}: ${reasonOf(e)}`, { exitCode: ExitCode.usage, hint, cause: e });
}

/** The file's stats, or undefined when nothing is there (ENOENT, or a file where a folder of the path should be: ENOTDIR). */
function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if (codeOf(e) === 'ENOENT' || codeOf(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Makes sure `dir` is a folder, creating it and its missing parents, each
 * once. Throws a FailoverError naming the first path that cannot be a
 * folder: a file in the way, a refused mkdir (permissions, a read-only or a
 * virtual file system such as /proc). `what` names the folder for the
 * message ("the transcripts folder"); `hint` says what to do instead.
 */
export function ensureDir(dir: string, what: string, hint: string): string {
  const target = resolve(dir);
  const at = (p: string) => (p === target ? '' : `${p}: `);
  const missing: string[] = [];
  for (let cur = target; ; ) {
    let st: Stats | undefined;
    try {
      st = statIfAny(cur);
    } catch (e) {
      throw new FailoverError(`cannot use ${target} as ${what}: ${at(cur)}${reasonOf(e)}`, { exitCode: ExitCode.usage, hint, cause: e });
    }
    if (st) {
      if (!st.isDirectory()) throw new FailoverError(`cannot use ${target} as ${what}: ${cur} is a file, not a folder`, { exitCode: ExitCode.usage, hint });
      break;
    }
    missing.push(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      // Another process made it in the meantime: as good as ours.
      if (codeOf(e) === 'EEXIST' && statIfAny(d)?.isDirectory()) continue;
      const refused = codeOf(e) === 'ENOENT' ? 'the file system does not allow a folder there (ENOENT)' : reasonOf(e);
      throw new FailoverError(`cannot create ${what} ${target}: ${at(d)}${refused}`, { exitCode: ExitCode.usage, hint, cause: e });
    }
  }
  return target;
}

/**
 * Checks, before any work is done, that `file` can be written later: its
 * folder is made (ensureDir) and the file itself is not a folder. Returns the
 * absolute path.
 */
export function ensureWritableFile(file: string, what: string, hint: string): string {
  const path = resolve(file);
  ensureDir(dirname(path), `the folder of ${what}`, hint);
  let st: Stats | undefined;
  try {
    st = statIfAny(path);
  } catch (e) {
    throw fileError(e, `write ${what}`, path, hint);
  }
  if (st && !st.isFile()) throw new FailoverError(`cannot write ${what} ${path}: it is ${st.isDirectory() ? 'a folder' : 'not a regular file'}`, { exitCode: ExitCode.usage, hint });
  return path;
}

/**
 * Checks that `path` is a regular file that can be read without blocking (a
 * folder, a named pipe or a device is refused before anyone opens it).
 */
export function ensureReadableFile(path: string, what: string, hint: string): void {
  let st: Stats | undefined;
  try {
    st = statIfAny(path);
  } catch (e) {
    throw fileError(e, `read ${what}`, path, hint);
  }
  if (!st) throw new FailoverError(`no ${what} at ${path}`, { exitCode: ExitCode.usage, hint });
  if (!st.isFile()) throw new FailoverError(`cannot read ${what} ${path}: it is ${st.isDirectory() ? 'a folder' : 'not a regular file (a pipe or a device)'}`, { exitCode: ExitCode.usage, hint });
}

/**
 * For a folder that is only read (earlier transcripts): true when it is
 * there, false when nothing is (not an error: nothing was written yet).
 * Anything else in the way (a file, a path it cannot search) is an error.
 */
export function folderToRead(dir: string, what: string, hint: string): boolean {
  const path = resolve(dir);
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return false;
    throw fileError(e, `read ${what}`, path, hint);
  }
  if (!st.isDirectory()) throw new FailoverError(`cannot read ${what} ${path}: it is a file, not a folder`, { exitCode: ExitCode.usage, hint });
  return true;
}
