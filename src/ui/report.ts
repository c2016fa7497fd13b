import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureWritableFile, fileError } from '../files.js';
import { colours, errColours } from './colour.js';

/** Human lines go to stdout; diagnostics and progress go to stderr so --json stays clean. */
export function out(line = ''): void {
  process.stdout.write(line + '\n');
}

export function info(line: string): void {
  process.stderr.write(line + '\n');
}

export function warn(line: string): void {
  const c = errColours();
  process.stderr.write(`${c.yellow('warning:')} ${line}\n`);
}

export function printError(message: string, hint?: string): void {
  const c = errColours();
  process.stderr.write(`${c.red('error:')} ${message}\n`);
  if (hint) process.stderr.write(`${c.dim('hint:')} ${hint}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export const c = () => colours();

const reportHint = (flag: string) => `give ${flag} a file in a folder you can write`;

/**
 * Checks, before the command does its work, that the report file a flag asks
 * for (`--junit`, `--html`, ...) can be written: its folder is created, and
 * the path is not a folder. A wrong path ends the command at once (exit 2).
 */
export function prepareReportFile(cwd: string, file: string | undefined, flag: string): void {
  if (!file) return;
  ensureWritableFile(resolve(cwd, file), `the ${flag} report`, reportHint(flag));
}

/** Writes a report file asked for by a flag (`--junit`, `--html`, ...), relative to `cwd`, creating its folder. */
export function writeReportFile(cwd: string, file: string | undefined, text: () => string, flag = 'the report option'): void {
  if (!file) return;
  const path = ensureWritableFile(resolve(cwd, file), `the ${flag} report`, reportHint(flag));
  try {
    writeFileSync(path, text());
  } catch (e) {
    throw fileError(e, `write the ${flag} report`, path, reportHint(flag));
  }
}
