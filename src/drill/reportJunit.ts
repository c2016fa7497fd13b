import type { DrillResult } from './result.js';

/** The drill as JUnit XML for CI: one test case per expectation, and one for the drill running to its end. */

function x(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderDrillJunit(r: DrillResult): string {
  const suite = `drill ${r.runbook.name} ${r.scenario.name}${r.scenario.revert ? ' --revert' : ''}`;
  const cases: string[] = [];
  cases.push(
    `    <testcase classname="${x(suite)}" name="completed" time="${(r.durationMs / 1000).toFixed(3)}">` +
      (r.completed ? '' : `<failure message="${x(r.problem ?? 'did not complete')}">${x(r.problem ?? '')}</failure>`) +
      '</testcase>',
  );
  for (const e of r.expectations) {
    cases.push(`    <testcase classname="${x(suite)}" name="${x(e.name)}" time="0">${e.ok ? '' : `<failure message="${x(e.finding)}">${x(e.finding)}</failure>`}</testcase>`);
  }
  const failures = (r.completed ? 0 : 1) + r.expectations.filter((e) => !e.ok).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="failover drill" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${x(suite)}" tests="${cases.length}" failures="${failures}" timestamp="${x(r.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
