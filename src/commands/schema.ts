import { ExitCode, type ExitCodeValue } from '../errors.js';
import { runbookJsonSchemaText } from '../runbook/jsonSchema.js';

/** Prints the runbook JSON Schema (the text committed as schema/runbook.schema.json). */
export async function schema(): Promise<ExitCodeValue> {
  process.stdout.write(runbookJsonSchemaText());
  return ExitCode.ok;
}
