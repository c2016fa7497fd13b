import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorMessage, FailoverError } from '../errors.js';
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

/** Writes a report file asked for by a flag (`--junit`, `--html`, ...), relative to `cwd`, creating its folder. */
export function writeReportFile(cwd: string, file: string | undefined, text: () => string): void {
  if (!file) return;
  const path = resolve(cwd, file);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text());
  } catch (e) {
    throw new FailoverError(`cannot write ${file}: ${errorMessage(e)}`, { hint: 'check the path, and that its folder is writable' });
  }
}
