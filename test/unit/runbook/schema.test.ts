import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runbookJsonSchema, runbookJsonSchemaText } from '../../../src/runbook/jsonSchema.js';
import { loadRunbook } from '../../../src/runbook/load.js';
import { FIXTURES, ROOT } from './helpers.js';

const committed = join(ROOT, 'schema/runbook.schema.json');
const examples = readdirSync(join(ROOT, 'runbooks'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(ROOT, 'runbooks', f));

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(runbookJsonSchema());
}

describe('the published JSON Schema', () => {
  it('is committed exactly as `failover schema` prints it (run: npm run build && node scripts/gen-schema.mjs)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(runbookJsonSchemaText());
  });

  it('is draft 2020-12 and documents defaults', () => {
    const s = runbookJsonSchema() as { $schema: string; properties: Record<string, { properties?: Record<string, { default?: unknown }> }> };
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const offsets = (s.properties.gates!.properties!.offsets as { properties: Record<string, { default?: unknown }> }).properties;
    expect(offsets.maxLagRecords!.default).toBe(1000);
    expect(offsets.checkpointMaxAgeSeconds!.default).toBe(120);
  });

  it('has examples to check', () => {
    expect(examples.map((e) => e.split('/').pop())).toEqual(expect.arrayContaining(['lab.yaml', 'lab-secure.yaml', 'cluster-linking.yaml', 'msk-replicator.yaml']));
  });

  it.each(examples)('accepts %s (ajv, as written)', (file) => {
    const validate = validator();
    const ok = validate(parse(readFileSync(file, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(examples)('%s loads without an error, and starts with the schema comment', async (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/runbook.schema.json');
    const r = await loadRunbook(file, { env: {}, missingInterpolation: 'warning' });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.runbook).toBeDefined();
  });

  it.each(['minimal.yaml', 'design-example.yaml'])('accepts the valid fixture %s, which the loader accepts without a problem', async (name) => {
    const file = join(FIXTURES, 'valid', name);
    const validate = validator();
    expect(validate(parse(readFileSync(file, 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
    expect((await loadRunbook(file, { env: {} })).problems).toEqual([]);
  });

  it('rejects what the loader rejects for shape (a control, so the checks above can fail)', () => {
    const validate = validator();
    for (const name of ['07-unknown-key-top.yaml', '11-wrong-type-bootstrap.yaml', '15-unknown-step-type.yaml', '19-bad-duration.yaml']) {
      expect(validate(parse(readFileSync(join(FIXTURES, 'invalid', name), 'utf8'))), name).toBe(false);
    }
  });
});
