import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colour only on a TTY and never under NO_COLOR (https://no-color.org).
 * FORCE_COLOR is honoured for people who pipe into `less -R`.
 */
export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

let cached: ChalkInstance | undefined;
export function colours(): ChalkInstance {
  cached ??= new Chalk({ level: colourEnabled() ? 1 : 0 });
  return cached;
}

export function errColours(): ChalkInstance {
  return new Chalk({ level: colourEnabled(process.stderr) ? 1 : 0 });
}
