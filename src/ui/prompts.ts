import type { Readable, Writable } from 'node:stream';
import { cancel, confirm as clackConfirm, isCancel, text as clackText } from '@clack/prompts';
import { ExitCode, FailoverError } from '../errors.js';

/**
 * The one module that asks the operator anything. Tests drive it through
 * injected streams (clack prompts accept `input`/`output`), or run the CLI
 * under a pseudo-terminal.
 */
export interface PromptStreams {
  input?: Readable & { isTTY?: boolean };
  output?: Writable & { isTTY?: boolean };
}

/** Whether a person can be asked: both ends are a terminal (or the caller injected streams). */
export function canPrompt(streams: PromptStreams = {}): boolean {
  if (streams.input && streams.output) return true;
  return Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY);
}

/**
 * Refuses, before anything happens, to run an action that would have to ask
 * with nobody to answer: exit 2, and say how to answer in advance.
 */
export function requirePromptOrYes(yes: boolean, streams: PromptStreams = {}): void {
  if (yes || canPrompt(streams)) return;
  throw new FailoverError('this action asks for confirmation, and there is no terminal to ask on', {
    exitCode: ExitCode.usage,
    hint: 'run it in a terminal, or pass --yes to confirm in advance (the transcript records that --yes answered)',
  });
}

/**
 * Yes or no. Ctrl-C or Escape at the prompt counts as no. The prompt is
 * drawn on stderr so that stdout stays clean for --json.
 */
export async function askConfirm(message: string, streams: PromptStreams = {}): Promise<boolean> {
  const output = streams.output ?? process.stderr;
  const answer = await clackConfirm({ message, initialValue: false, output, ...(streams.input ? { input: streams.input } : {}) });
  if (isCancel(answer)) {
    cancel('not confirmed', { output });
    return false;
  }
  return answer;
}

/**
 * A confirmation that must be typed: the person types `expected` (a cluster
 * name) to say yes. Anything else, Ctrl-C or Escape counts as no. Used where
 * a slip of the Enter key must not be enough: declaring a cluster down.
 */
export async function askTyped(message: string, expected: string, streams: PromptStreams = {}): Promise<boolean> {
  const output = streams.output ?? process.stderr;
  const answer = await clackText({ message: `${message}\nType ${expected} to confirm`, placeholder: expected, output, ...(streams.input ? { input: streams.input } : {}) });
  if (isCancel(answer)) {
    cancel('not confirmed', { output });
    return false;
  }
  return answer.trim() === expected;
}
