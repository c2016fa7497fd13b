import type { CheckResult } from '../scorecard.js';
import type { Evidence } from '../types.js';

/** XML 1.0 text: escaped, and without the control characters XML cannot hold. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function testcase(gate: string, e: Evidence): string {
  const name = xmlEscape(e.check);
  const open = `    <testcase classname="failover.${xmlEscape(gate)}" name="${name}">`;
  const body = [e.finding, e.hint ? `hint: ${e.hint}` : ''].filter(Boolean).join('\n');
  if (e.status === 'fail' && e.blocking !== false) {
    return `${open}\n      <failure message="${xmlEscape(e.finding)}" type="fail">${xmlEscape(body)}</failure>\n    </testcase>`;
  }
  if (e.status === 'skip') return `${open}\n      <skipped message="${xmlEscape(e.finding)}"/>\n    </testcase>`;
  return `${open}\n      <system-out>${xmlEscape(`${e.status}: ${body}`)}</system-out>\n    </testcase>`;
}

/**
 * JUnit XML for CI: one testsuite per gate, one testcase per check. A
 * blocking check that fails is a <failure>; a skipped check is <skipped>;
 * warnings and non-blocking findings pass, with their text in <system-out>.
 */
export function toJunit(result: CheckResult): string {
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  const suites = result.gates.map((g) => {
    const t = g.evidence.length;
    const f = g.evidence.filter((e) => e.status === 'fail' && e.blocking !== false).length;
    const s = g.evidence.filter((e) => e.status === 'skip').length;
    tests += t;
    failures += f;
    skipped += s;
    const props = `    <properties>\n      <property name="score" value="${g.score}"/>\n      <property name="verdict" value="${g.verdict}"/>\n    </properties>`;
    return [
      `  <testsuite name="${xmlEscape(g.gate)}" tests="${t}" failures="${f}" errors="0" skipped="${s}" time="${(g.elapsedMs / 1000).toFixed(3)}">`,
      props,
      ...g.evidence.map((e) => testcase(g.gate, e)),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(`failover check ${result.runbook.name}`)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${(result.elapsedMs / 1000).toFixed(3)}" timestamp="${result.checkedAt}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
