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
