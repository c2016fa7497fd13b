import * as z from 'zod';
import { runbookSchema } from './schema.js';

/**
 * The published JSON Schema, generated from the same definition the loader
 * validates with. It describes the runbook as written (`io: 'input'`):
 * durations are strings there, milliseconds once loaded.
 */
export function runbookJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runbookSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<string, unknown>;
}

/** The exact text of schema/runbook.schema.json. */
export function runbookJsonSchemaText(): string {
  return JSON.stringify(runbookJsonSchema(), null, 2) + '\n';
}
