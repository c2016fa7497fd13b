import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { toJson } from '../../../src/gates/reporters/json.js';
import { toJunit } from '../../../src/gates/reporters/junit.js';
import { toMarkdown } from '../../../src/gates/reporters/markdown.js';
import type { CheckResult } from '../../../src/gates/scorecard.js';

const result: CheckResult = {
  version: 1,
  runbook: { name: 'orders-east-west', file: 'runbooks/lab.yaml' },
  checkedAt: '2026-11-24T12:00:00.000Z',
  elapsedMs: 1234,
  phase: { phase: 'steady', roles: { primary: 'east', secondary: 'west' }, source: 'home' },
  clusters: [
    { name: 'east', role: 'primary', bootstrap: ['127.0.0.1:19092'], reachable: true, clusterId: 'E', brokers: 1, timings: {} },
    { name: 'west', role: 'secondary', bootstrap: ['127.0.0.1:29092'], reachable: true, clusterId: 'W', brokers: 1, timings: {} },
  ],
  gates: [
    {
      gate: 'compatibility',
      score: 0,
      verdict: 'blocked',
      keyFinding: 'partition counts differ: orders has 3 on east, east.orders has 5 on west',
      elapsedMs: 10,
      evidence: [
        { check: 'compatibility.reachable', status: 'pass', finding: 'both reachable' },
        { check: 'compatibility.partitions', status: 'fail', finding: 'partition counts differ: orders has 3 on east, east.orders has 5 on west', hint: 'make <them> "equal" & so on' },
        { check: 'compatibility.api-versions', status: 'skip', finding: 'not read' },
      ],
    },
    { gate: 'cost', score: 1, verdict: 'report', keyFinding: 'x', elapsedMs: 1, evidence: [{ check: 'cost.replay', status: 'fail', finding: 'not sized', blocking: false }] },
  ],
  readiness: { ready: false, required: ['compatibility', 'offsets', 'routing', 'rollback'], blockedBy: ['compatibility'], statement: 'not ready' },
};

/** Enough of an XML reader to check the structure CI tools rely on. */
function elements(xml: string, name: string): { attrs: Record<string, string>; body: string }[] {
  const re = new RegExp(`<${name}((?:\\s+[\\w:-]+="[^"]*")*)\\s*(?:/>|>([\\s\\S]*?)</${name}>)`, 'g');
  return [...xml.matchAll(re)].map((m) => ({
    attrs: Object.fromEntries([...(m[1] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
    body: m[2] ?? '',
  }));
}

describe('JUnit reporter', () => {
  const xml = toJunit(result);

  it('is well-formed enough: one declaration, balanced suites, escaped text', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<\/testsuite>/g)).toHaveLength(2);
    expect(xml).not.toMatch(/<them>|"equal" &/);
    expect(xml).toContain('make &lt;them&gt; &quot;equal&quot; &amp; so on');
  });

  it('counts a blocking fail as a failure and a skip as skipped; a non-blocking fail passes', () => {
    const [root] = elements(xml, 'testsuites');
    expect(root!.attrs).toMatchObject({ tests: '4', failures: '1', skipped: '1' });
    const cases = elements(xml, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['compatibility.reachable', 'compatibility.partitions', 'compatibility.api-versions', 'cost.replay']);
    expect(cases[1]!.body).toMatch(/<failure message="partition counts differ: orders has 3 on east, east.orders has 5 on west"/);
    expect(cases[2]!.body).toMatch(/<skipped /);
    expect(cases[3]!.body).not.toMatch(/<failure/);
  });
});

describe('Markdown reporter', () => {
  it('has the scorecard table and the verdict', () => {
    const md = toMarkdown(result);
    expect(md).toContain('**Not ready.**');
    expect(md).toContain('| compatibility | 0 | blocked | partition counts differ: orders has 3 on east, east.orders has 5 on west |');
    expect(md).toContain('- **fail** `compatibility.partitions`');
  });
});

describe('JSON reporter', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'schema', 'check-result.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (v: string) => !Number.isNaN(Date.parse(v)));
  const validate = ajv.compile(schema);

  it('prints a document the committed schema accepts', () => {
    const doc = JSON.parse(toJson(result)) as unknown;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('writes bigints as strings, non-finite numbers as null, and leaves undefined fields out', () => {
    const odd = structuredClone(result);
    const data = { big: 12345678901234567890n, inf: Number.POSITIVE_INFINITY, nan: Number.NaN, gone: undefined, plain: 7 };
    odd.gates[0]!.evidence[0]!.data = data;
    const doc = JSON.parse(toJson(odd)) as { gates: { evidence: { data: unknown }[] }[] };
    expect(doc.gates[0]!.evidence[0]!.data).toEqual({ big: '12345678901234567890', inf: null, nan: null, plain: 7 });
    const noBigint = structuredClone(result);
    noBigint.gates[0]!.evidence[0]!.data = { ...data, big: 1 };
    expect((JSON.parse(toJson(noBigint)) as typeof doc).gates[0]!.evidence[0]!.data).toEqual({ big: 1, inf: null, nan: null, plain: 7 });
  });

  it('the schema rejects a score outside 0..2 and an unknown status', () => {
    const bad = JSON.parse(toJson(result)) as { gates: { score: number; evidence: { status: string }[] }[] };
    bad.gates[0]!.score = 3;
    bad.gates[0]!.evidence[0]!.status = 'ok';
    expect(validate(bad)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/gates/0/score', '/gates/0/evidence/0/status']));
  });
});
