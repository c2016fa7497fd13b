import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../../src/drill/expectations.js';
import { measure } from '../../../src/drill/measure.js';
import { ProbeLog } from '../../../src/drill/probeLog.js';
import { renderDrillHtml } from '../../../src/drill/reportHtml.js';
import { renderDrillJunit } from '../../../src/drill/reportJunit.js';
import { renderDrillMarkdown } from '../../../src/drill/reportMarkdown.js';
import { DRILL_RESULT_VERSION, type DrillResult } from '../../../src/drill/result.js';
import { drillFiles } from '../../../src/drill/runDrill.js';
import { buildTimeline } from '../../../src/drill/timeline.js';

/** A small drill's result, made from an in-memory probe log: east until 2 s, no acknowledgement for 1.6 s, then west; 3 events lost. */
function result(): DrillResult {
  const log = new ProbeLog(() => 0, () => Date.UTC(2026, 0, 1));
  for (let i = 0; i < 60; i++) {
    const t = i < 20 ? i * 100 : 3500 + (i - 20) * 100;
    const e = log.newEvent(i % 4, Math.floor(i / 4), t);
    const cluster = i < 20 ? 'east' : 'west';
    log.sent(e, cluster);
    log.acked(e, cluster, i % 4, i, t + 3);
    log.received(e, cluster, false, i % 4, i, t + 20);
  }
  const e = log.newEvent(0, 99, 2100);
  log.sent(e, 'east');
  log.failed(e, 'timeout', 2600);
  log.mark('phase', 'promote', undefined, 2000);
  log.mark('step', 'promote 4. switch-route applied', undefined, 3000);
  const records = Array.from({ length: 60 }, (_, i) => i).filter((i) => i < 17 || i >= 20).map((event) => ({ event, topic: 'east.failover.probe', remote: true, partition: 0, offset: event }));
  const m = measure({ log, reads: [{ label: 'switch', cluster: 'west', at: 3000, topics: ['east.failover.probe', 'failover.probe'], records }], endAt: 7600 });
  const expectations = checkExpectations({ maxLostEvents: 0, maxWriteDowntimeSeconds: 30 }, m);
  const files = drillFiles('/tmp/t/2026-01-01T00-00-00.000Z-drill.jsonl');
  return {
    version: DRILL_RESULT_VERSION,
    runbook: { path: 'runbooks/lab.yaml', name: 'orders-east-west', sha256: 'a'.repeat(64) },
    scenario: { name: 'primary-down', kind: 'primary-down', action: 'promote', revert: false, description: 'east is <killed> & "gone"', dwellMs: 0 },
    runId: 'drill-x',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 7600,
    probe: { topic: 'failover.probe', group: 'failover-probe', keys: 4, ratePerSecond: 10 },
    clusters: { primary: 'east', secondary: 'west' },
    phases: [
      { name: 'probe', at: 0, endAt: 1000, ok: true },
      { name: 'promote', at: 2000, endAt: 3400, ok: true, detail: 'ok' },
    ],
    faults: [],
    actions: [{ action: 'promote', outcome: 'ok', exitCode: 0, summary: 'promoted', at: 2000, ms: 1400, steps: [{ index: 3, step: 'switch-route', status: 'applied', summary: 'route to west', at: 3000 }] }],
    measurement: m,
    lostEventIds: m.lostEvents.map((i) => `drill-x-${i}`),
    expectations,
    breached: expectations.filter((x) => !x.ok).map((x) => x.name),
    completed: true,
    ok: false,
    timeline: buildTimeline(log, 7600),
    errors: [{ text: 'send to east: timed out <5 s>', count: 1 }],
    files,
  };
}

describe('drill reports', () => {
  const r = result();

  it('the measurement behind them: 3 lost, 1.6 s of write downtime', () => {
    expect(r.measurement.lost).toBe(3);
    expect(r.measurement.writeDowntimeMs).toBe(1600);
    expect(r.breached).toEqual(['maxLostEvents']);
  });

  it('Markdown: verdict, outcome table with bounds, lost ids, and the files', () => {
    const md = renderDrillMarkdown(r);
    expect(md).toContain('**FAIL**: breached: maxLostEvents');
    expect(md).toContain('| write downtime | 1.60 s (+1.9 s → +3.5 s) | ≤ 30 s | ok |');
    expect(md).toContain('| lost (acknowledged, absent) | 3 | ≤ 0 | BREACHED |');
    expect(md).toContain('| RPO | 3 events, 0.30 s |');
    expect(md).toContain('`drill-x-17`, `drill-x-18`, `drill-x-19`');
    expect(md).toContain('- +3.0 s 4. switch-route: applied — route to west');
    expect(md).toContain(r.files.html);
  });

  it('HTML: self-contained (no script, nothing fetched), escaped, with an SVG timeline of both clusters and the phases', () => {
    const html = renderDrillHtml(r);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=/i);
    // The only URL is the SVG namespace, which is never fetched.
    expect(html.match(/https?:\/\/[^"\s]+/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain('east is &lt;killed&gt; &amp; &quot;gone&quot;');
    expect(html).not.toContain('<killed>');
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    expect(svg).toContain('>east</text>');
    expect(svg).toContain('>west</text>');
    expect(svg).toContain('>promote</text>');
    expect(svg.match(/fill="#2e9d5b"/g)?.length).toBeGreaterThan(10);
    expect(svg.match(/fill="#d64545"/g)?.length).toBe(1);
    expect(html).toContain('<td class="bad">BREACHED</td>');
  });

  it('JUnit: one case per expectation and one for completion; the breach is a failure naming it', () => {
    const xml = renderDrillJunit(r);
    expect(xml).toContain('tests="3" failures="1"');
    expect(xml).toMatch(/<testcase classname="drill orders-east-west primary-down" name="maxLostEvents" time="0"><failure message="maxLostEvents: acknowledged events lost 3, above the bound of 0">/);
    expect(xml).toMatch(/name="maxWriteDowntimeSeconds" time="0"><\/testcase>/);
  });
});
