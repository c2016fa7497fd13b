import * as z from 'zod';
import { customIssue, expecting } from './expecting.js';
import { templateProblems, TEMPLATE_NAMES } from './templates.js';

/** The small field types that every part of the runbook shares. */

export const ROLE_NAMES = ['primary', 'secondary'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export const DIRECTIONS = ['forward', 'reverse'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export function text(description?: string) {
  const s = z.string().min(1, { error: expecting('must not be empty', 'some text') });
  return description === undefined ? s : s.meta({ description });
}

// A bracketed IPv6 literal or a DNS name / IPv4 address, then a port.
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?):([0-9]{1,5})$/;
const HOST_PORT_EXPECTED = 'host:port, e.g. kafka-1.internal:9092';

export function hostPort() {
  return z
    .string()
    .regex(HOST_PORT, { error: expecting('not a host:port address', HOST_PORT_EXPECTED) })
    .refine(
      (v) => {
        const m = HOST_PORT.exec(v);
        if (!m) return true; // the format check above already said so
        const port = Number(m[3]);
        return port >= 1 && port <= 65535;
      },
      { error: expecting('port out of range', 'a port from 1 to 65535') },
    )
    .meta({ description: HOST_PORT_EXPECTED });
}

// Cluster names appear in topic names, ACL descriptions and file names; keep them plain.
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function clusterName() {
  return z
    .string()
    .regex(CLUSTER_NAME, { error: expecting('not a usable cluster name', 'letters, digits, ".", "_" or "-", at most 64') })
    .refine((v) => !(ROLE_NAMES as readonly string[]).includes(v), {
      error: expecting('"primary" and "secondary" are role names, not cluster names', 'another name, e.g. east or west'),
    });
}

/** Where a step refers to a cluster: a role of the runbook, or a cluster by name. */
export function clusterRef() {
  return z.string().min(1, { error: expecting('must not be empty', 'primary, secondary or a cluster name') }).meta({
    description: 'primary, secondary (the home roles) or a cluster name',
  });
}

// Kafka's legal topic characters; a `/regex/` selects by pattern.
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function topicSelector() {
  return z
    .string()
    .regex(/^(\/.+\/|[A-Za-z0-9._-]{1,249})$/, {
      error: expecting('not a topic name or /regex/', 'a topic name (letters, digits, ".", "_", "-") or /regex/'),
    })
    .superRefine((v, ctx) => {
      if (!isTopicRegex(v)) return;
      try {
        new RegExp(v.slice(1, -1));
      } catch {
        ctx.addIssue(customIssue('not a valid regular expression', 'a JavaScript regular expression between slashes'));
      }
    })
    .meta({ description: 'a topic name, or /regex/ matched against whole topic names' });
}

export function topicName() {
  return z.string().regex(TOPIC, { error: expecting('not a topic name', 'letters, digits, ".", "_" or "-", at most 249') });
}

export function isTopicRegex(selector: string): boolean {
  return selector.length > 2 && selector.startsWith('/') && selector.endsWith('/');
}

/** Whether a workload topic selector covers a topic name. */
export function topicMatches(selector: string, topic: string): boolean {
  if (!isTopicRegex(selector)) return selector === topic;
  return new RegExp(`^(?:${selector.slice(1, -1)})$`).test(topic);
}

export function principal() {
  return z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*:.+$/, { error: expecting('not a Kafka principal', 'Type:name, e.g. User:orders-svc') })
    .meta({ description: 'a Kafka principal, e.g. User:orders-svc' });
}

export function direction() {
  return z.enum(DIRECTIONS, { error: expecting('not a direction', 'forward (primary to secondary) or reverse') });
}

export function httpUrl() {
  return z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, { error: expecting('not an http(s) URL', 'http://host:port/...') })
    .meta({ description: 'an http or https URL' });
}

const TEMPLATE_EXPECTED = `one of ${TEMPLATE_NAMES.map((n) => `{{${n}}}`).join(', ')}`;

/**
 * A command as an argument list (never a shell string, so nothing needs
 * quoting). Arguments may hold `{{...}}` templates from a fixed set.
 */
export function argv(description: string) {
  const arg = z.string().superRefine((v, ctx) => {
    for (const p of templateProblems(v)) {
      if (p.kind === 'unknown') ctx.addIssue(customIssue(`unknown template variable {{${p.name}}}`, TEMPLATE_EXPECTED));
      else ctx.addIssue(customIssue('unbalanced {{ }} in a template', 'templates written as {{name}}'));
    }
  });
  return z
    .array(arg)
    .min(1, { error: expecting('a command needs at least the program to run', 'a list: [program, arg, ...]') })
    .refine((a) => a[0] !== '', { error: expecting('the program name is empty', 'a program name or path') })
    .meta({ description: `${description}: a list [program, arg, ...]; arguments may use ${TEMPLATE_EXPECTED}` });
}

export function count(description: string) {
  return z.int().nonnegative().meta({ description });
}

export function positiveCount(description: string) {
  return z.int().positive().meta({ description });
}

export function seconds(description: string) {
  return z.number().nonnegative().meta({ description });
}
