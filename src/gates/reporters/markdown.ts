import type { CheckResult } from '../scorecard.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A Markdown scorecard for a pull request or a postmortem: the table, the readiness verdict, then every check. */
export function toMarkdown(result: CheckResult): string {
  const lines: string[] = [];
  lines.push(`# failover check: ${result.runbook.name}`, '');
  lines.push(`${result.readiness.ready ? '**Ready.**' : '**Not ready.**'} ${cell(result.readiness.statement)}`, '');
  lines.push(
    `Phase \`${result.phase.phase}\`, primary \`${result.phase.roles.primary}\`, secondary \`${result.phase.roles.secondary}\`; checked ${result.checkedAt} in ${(result.elapsedMs / 1000).toFixed(1)} s.`,
    '',
  );
  for (const c of result.clusters) {
    lines.push(`- ${c.role} \`${c.name}\` (${c.bootstrap.join(', ')}): ${c.reachable ? `cluster id \`${c.clusterId}\`, ${c.brokers} broker(s)` : `unreachable: ${cell(c.error ?? '')}`}`);
  }
  lines.push('', '| gate | score | verdict | key finding |', '|---|---|---|---|');
  for (const g of result.gates) lines.push(`| ${g.gate} | ${g.score} | ${g.verdict} | ${cell(g.keyFinding)} |`);
  for (const g of result.gates) {
    lines.push('', `## ${g.gate}: ${g.score} (${g.verdict})`, '');
    for (const e of g.evidence) {
      const tag = e.blocking === false ? `${e.status}, informational` : e.status;
      lines.push(`- **${tag}** \`${e.check}\`: ${cell(e.finding)}${e.hint ? `  \n  _${cell(e.hint)}_` : ''}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
