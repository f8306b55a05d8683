import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';

export interface Location {
  line: number;
  column: number;
}

type PathKey = PropertyKey;

/**
 * Where in the file a config path points: the value when it exists, the key when `at` is `key`, and
 * otherwise the nearest enclosing node that does (a missing key is reported at its parent mapping).
 */
export function locate(
  document: Document,
  lines: LineCounter,
  path: readonly PathKey[],
  at: 'value' | 'key' = 'value',
): Location {
  let node: Node | null = document.contents;
  let found: Node | null = node;
  for (const [index, key] of path.entries()) {
    if (!node) break;
    const pair = childPair(node, key);
    const child = pair ? (pair.value as Node | null) : childItem(node, key);
    if (at === 'key' && index === path.length - 1 && pair && isScalar(pair.key)) {
      found = pair.key as Node;
      break;
    }
    const empty = isScalar(child) && child.value === null && child.range?.[0] === child.range?.[1];
    if (!child || empty) {
      // The key is there with no value (`port:`): point at the key.
      if (pair && isScalar(pair.key)) found = pair.key as Node;
      break;
    }
    node = child;
    found = child;
  }
  const offset = found?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function childPair(node: Node, key: PathKey): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(key));
}

function childItem(node: Node, key: PathKey): Node | null {
  if (!isSeq(node) || typeof key !== 'number') return null;
  return (node.items[key] as Node | undefined) ?? null;
}

/** `tenants[1].limits.maxInFlight` */
export function formatPath(path: readonly PathKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text ? `.${String(key)}` : String(key);
  }
  return text || '(top level)';
}
