import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { PathSegment } from './problems.js';

/**
 * Maps between runbook paths and places in the YAML source. A path that does
 * not exist (a missing key) lands on the deepest key that does, which is
 * where an operator adds the missing one.
 */
export interface Place {
  line: number;
  col: number;
}

type AnyNode = Node | Pair | null | undefined;

function deref(doc: Document, node: unknown): unknown {
  let n = node;
  // Bounded: an alias resolves to an anchored node, never to another alias.
  for (let i = 0; i < 8 && isAlias(n); i++) n = n.resolve(doc);
  return n;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function findPair(doc: Document, map: unknown, seg: string, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > 8) return undefined;
  for (const pair of map.items) if (keyText(pair.key) === seg) return pair;
  // Keys brought in by a merge (`<<: *defaults`) live in the merged map.
  for (const pair of map.items) {
    if (keyText(pair.key) !== '<<') continue;
    const sources = deref(doc, pair.value);
    const list = isSeq(sources) ? sources.items.map((s) => deref(doc, s)) : [sources];
    for (const src of list) {
      const found = findPair(doc, src, seg, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function startOf(node: AnyNode): number | undefined {
  if (!node) return undefined;
  if (isPair(node)) return startOf(node.key as Node) ?? startOf(node.value as Node);
  return node.range?.[0];
}

/** The offset of a path's value (or key) in the source. */
export function offsetOf(doc: Document, path: readonly PathSegment[], at: 'key' | 'value' = 'value'): number {
  let node: unknown = doc.contents;
  let fallback: number | undefined = startOf(doc.contents as Node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    node = deref(doc, node);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg));
      if (!pair) return fallback ?? 0;
      const keyStart = startOf(pair.key as Node);
      if (last && at === 'key' && keyStart !== undefined) return keyStart;
      fallback = keyStart ?? fallback;
      node = pair.value;
      // `key:` with nothing after it: the key is the place.
      if (node === null || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1])) return fallback ?? 0;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return fallback ?? 0;
      node = item;
      fallback = startOf(item as Node) ?? fallback;
    } else {
      return fallback ?? 0;
    }
  }
  return startOf(deref(doc, node) as Node) ?? fallback ?? 0;
}

export function placeOf(doc: Document, lines: LineCounter, path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Place {
  return lines.linePos(offsetOf(doc, path, at));
}

/** The path of the deepest node whose source covers an offset (for YAML errors). */
export function pathAt(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 100; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const start = startOf(p.key as Node);
        const end = (p.value as Node | null)?.range?.[2] ?? (p.key as Node | null)?.range?.[2];
        return start !== undefined && end !== undefined && offset >= start && offset < end;
      });
      const key = pair ? keyText(pair.key) : undefined;
      if (!pair || key === undefined) return path;
      path.push(key);
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((item) => {
        const r = (item as Node | null)?.range;
        return r != null && offset >= r[0] && offset < r[2];
      });
      if (i < 0) return path;
      path.push(i);
      node = node.items[i];
    } else {
      return path;
    }
  }
  return path;
}
