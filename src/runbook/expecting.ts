/**
 * zod reports what went wrong; our problems also say what was expected, in
 * words an operator reads (`a duration: 500ms, 30s, 2m or 1h`). zod has no
 * slot for that on a format or refinement issue, so a schema's error function
 * stamps it on the raw issue it is handed; zod copies every own field of the
 * raw issue into the final one, where `issues.ts` reads it back.
 */
export const EXPECTED_FIELD = 'expectedText';
/** Stamped on a type issue whose input was absent: a required key is missing. */
export const MISSING_FIELD = 'missingKey';

export type ErrorFn = (iss: object) => string;

/** An error function for a schema or check: the message, plus what was expected. */
export function expecting(message: string, expected: string): ErrorFn {
  return (iss) => {
    const raw = iss as Record<string, unknown>;
    raw[EXPECTED_FIELD] = expected;
    // A schema's own error function also answers for a key that is absent.
    if ((raw.code === 'invalid_type' || raw.code === 'invalid_value') && raw.input === undefined) {
      raw[MISSING_FIELD] = true;
      return 'required key is missing';
    }
    return message;
  };
}

/** A custom issue for `ctx.addIssue` inside a refinement, with what was expected. */
export function customIssue(message: string, expected?: string, path?: PropertyKey[]) {
  return {
    code: 'custom' as const,
    message,
    ...(path === undefined ? {} : { path }),
    ...(expected === undefined ? {} : { [EXPECTED_FIELD]: expected }),
  };
}

/** Reads back what `expecting` or `customIssue` stamped. */
export function stampedExpectation(issue: object): string | undefined {
  const v = (issue as Record<string, unknown>)[EXPECTED_FIELD];
  return typeof v === 'string' ? v : undefined;
}
