/**
 * `{{...}}` templates in commands. The set of names is fixed so that a typo
 * is a validation error instead of an empty argument handed to a script
 * that kills a broker.
 */
export const TEMPLATE_CLUSTER_FIELDS = ['bootstrap', 'name', 'region', 'alias'] as const;
export type TemplateClusterField = (typeof TEMPLATE_CLUSTER_FIELDS)[number];

export const TEMPLATE_NAMES: readonly string[] = [
  ...TEMPLATE_CLUSTER_FIELDS.map((f) => `source.${f}`),
  ...TEMPLATE_CLUSTER_FIELDS.map((f) => `target.${f}`),
  'runbook.name',
  'transcript.path',
];

// No nested quantifiers: linear on any input.
const TEMPLATE = /\{\{([^{}]*)\}\}/g;

export interface TemplateCluster {
  /** comma-separated host:port list */
  bootstrap: string;
  name: string;
  region: string;
  /** the replication link's alias for the cluster (its name when the link has none) */
  alias: string;
}

export interface TemplateContext {
  source: TemplateCluster;
  target: TemplateCluster;
  runbook: { name: string };
  transcript: { path: string };
}

export type TemplateProblem = { kind: 'unknown'; name: string } | { kind: 'unclosed' };

/** What is wrong with the templates in one argument; empty when nothing is. */
export function templateProblems(text: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const m of text.matchAll(TEMPLATE)) {
    const name = (m[1] ?? '').trim();
    if (!TEMPLATE_NAMES.includes(name)) problems.push({ kind: 'unknown', name });
  }
  const rest = text.replace(TEMPLATE, '');
  if (rest.includes('{{') || rest.includes('}}')) problems.push({ kind: 'unclosed' });
  return problems;
}

/** The names an argument refers to, in order. */
export function templateNames(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => (m[1] ?? '').trim());
}

/** Fills the templates of one argument; throws on a name validation would have refused. */
export function renderTemplate(text: string, ctx: TemplateContext): string {
  return text.replace(TEMPLATE, (_whole, raw: string) => {
    const name = raw.trim();
    const [scope, field] = name.split('.', 2) as [string, string | undefined];
    if (!TEMPLATE_NAMES.includes(name) || field === undefined) throw new Error(`unknown template variable {{${name}}}`);
    const group = ctx[scope as keyof TemplateContext] as Record<string, string>;
    const value = group[field];
    if (value === undefined) throw new Error(`unknown template variable {{${name}}}`);
    return value;
  });
}

/** Fills every argument of a command. */
export function renderArgv(argv: readonly string[], ctx: TemplateContext): string[] {
  return argv.map((a) => renderTemplate(a, ctx));
}
