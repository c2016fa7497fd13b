import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
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

// One index per map, built on first use: a runbook with many problems in one
// big map would otherwise scan the map once per problem.
const keyIndex = new WeakMap<object, Map<string, Pair>>();

function pairsOf(map: YAMLMap): Map<string, Pair> {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const k = keyText(pair.key);
      // The last of repeated keys wins, as it does in the loaded data.
      if (k !== undefined) index.set(k, pair);
    }
    keyIndex.set(map, index);
  }
  return index;
}

function findPair(map: unknown, seg: string): Pair | undefined {
  return isMap(map) ? pairsOf(map).get(seg) : undefined;
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
      const pair = findPair(node, String(seg));
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
