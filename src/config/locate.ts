import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";
import { isPlainObject, mergesWithDefault } from "./merge.js";
import { formatPath, type PathSegment } from "./path.js";
import { isMergeKey } from "./yaml-check.js";

export interface Location {
  line: number;
  column: number;
  /** The dotted path to report: where the value is written (it may be under `defaults`). */
  path: string;
}

interface Cursor {
  node: Node | null;
  /** The key whose value `node` is; absent for the root and list items. */
  key: Node | null;
  path: PathSegment[];
}

function resolve(document: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(document) as Node | undefined) ?? null;
  return isNode(node) ? node : null;
}

/** The pair for `key` in `map`, or in the mappings it merges with `<<` (a written key wins, as in YAML). */
function pairIn(document: Document, map: YAMLMap, key: string, depth: number): Pair | undefined {
  const own = map.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  if (own || depth > 8) return own;
  for (const item of map.items) {
    if (!isMergeKey(item.key)) continue;
    const sources = isSeq(item.value) ? item.value.items : [item.value];
    for (const source of sources) {
      const merged = resolve(document, source);
      const found = isMap(merged) ? pairIn(document, merged, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function childOf(document: Document, cursor: Cursor, segment: PathSegment): Cursor | undefined {
  const node = cursor.node;
  if (isMap(node)) {
    const pair = pairIn(document, node, String(segment), 0);
    if (!pair) return undefined;
    return { node: resolve(document, pair.value), key: pair.key as Node, path: [...cursor.path, segment] };
  }
  if (isSeq(node) && typeof segment === "number") {
    const item = node.items[segment];
    if (item === undefined) return undefined;
    return { node: resolve(document, item), key: null, path: [...cursor.path, segment] };
  }
  return undefined;
}

function walk(document: Document, start: Cursor, path: readonly PathSegment[]): Cursor | undefined {
  let cursor: Cursor | undefined = start;
  for (const segment of path) {
    cursor = cursor && childOf(document, cursor, segment);
  }
  return cursor;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const segment of path) {
    if (!isPlainObject(value) && !Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * Finds the YAML node a validation path (into the defaults-merged document) refers to. Under
 * `services.<name>.<field>` the value may come from `defaults.<field>`, so two cursors walk side by
 * side, mirroring the merge. A path that does not exist (a missing field) points at its parent's key.
 */
export function locate(
  document: Document,
  lineCounter: LineCounter,
  rawDocument: unknown,
  path: readonly PathSegment[],
  options: { atKey?: boolean } = {},
): Location {
  const root: Cursor = { node: resolve(document, document.contents), key: null, path: [] };
  let primary: Cursor = root;
  let fallback: Cursor | undefined;
  let index = 0;

  if (path[0] === "services" && path.length >= 3) {
    const service = walk(document, root, path.slice(0, 2));
    const field = String(path[2]);
    const defaultValue = valueAt(rawDocument, ["defaults", field]);
    const serviceValue = valueAt(rawDocument, path.slice(0, 3));
    if (service) {
      primary = service;
      index = 2;
      const defaults = walk(document, root, ["defaults", field]);
      if (defaults && serviceValue === undefined && defaultValue !== undefined) {
        primary = defaults;
        index = 3;
      } else if (defaults && mergesWithDefault(field, defaultValue, serviceValue)) {
        const own = childOf(document, service, field);
        if (own) {
          primary = own;
          fallback = defaults;
          index = 3;
        }
      }
    }
  }

  let resolved = true;
  for (; index < path.length; index++) {
    const segment = path[index]!;
    const own = childOf(document, primary, segment);
    const inherited = fallback && childOf(document, fallback, segment);
    if (own) {
      primary = own;
      fallback = inherited && isMap(own.node) && isMap(inherited.node) ? inherited : undefined;
    } else if (inherited) {
      primary = inherited;
      fallback = undefined;
    } else {
      resolved = false;
      break;
    }
  }

  const pointAt = !resolved || options.atKey ? (primary.key ?? primary.node) : (primary.node ?? primary.key);
  const offset = pointAt?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return {
    line: Math.max(1, line),
    column: Math.max(1, col),
    path: resolved ? formatPath(primary.path) : formatPath(path),
  };
}

export function lineColumn(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(1, line), column: Math.max(1, col) };
}
