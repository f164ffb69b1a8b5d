/**
 * Checks a parsed YAML document before it is turned into data: every alias resolves, no anchor
 * contains an alias of itself, aliases do not expand the document beyond a budget ("billion
 * laughs"), nesting stays shallow, scalars stay short, keys are names written once and merge keys
 * (`<<`) merge mappings. Each
 * problem carries the offset of the node at fault. The walk is bounded: it never descends deeper
 * than the depth limit and visits every written node once (an alias's target is measured once).
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, Scalar } from "yaml";
import type { InputLimits } from "./limits.js";

export interface StructureProblem {
  /** Offset in the text of the node at fault. */
  offset: number;
  message: string;
}

interface Measure {
  /** Values under the node once aliases are expanded (the node included). */
  size: number;
  /** Levels of mappings and lists under the node once aliases are expanded (0 for a scalar). */
  depth: number;
}

const MERGE_KEY = "<<";
const LEAF: Measure = { size: 1, depth: 0 };

class Walker {
  readonly problems: StructureProblem[] = [];
  /** The latest node carrying each anchor, in document order (what an alias at this point means). */
  private readonly anchors = new Map<string, Node>();
  private readonly measured = new Map<Node, Measure>();
  /** The collections being walked: an alias of one of them is an alias inside its own anchor. */
  private readonly open = new Set<Node>();
  private expansion = 0;
  private expansionReported = false;
  private depthReported = false;

  constructor(
    private readonly limits: Pick<
      InputLimits,
      "maxScalarLength" | "maxDepth" | "maxAliasExpansion" | "maxIssues"
    >,
    private readonly merge: boolean,
  ) {}

  private report(node: { range?: readonly number[] | null }, message: string): void {
    if (this.problems.length < this.limits.maxIssues)
      this.problems.push({ offset: node.range?.[0] ?? 0, message });
  }

  get full(): boolean {
    return this.problems.length >= this.limits.maxIssues;
  }

  /** Walks `node` found at nesting `level` (the document's root collection is level 1). */
  walk(node: unknown, level: number): Measure {
    if (this.full) return LEAF;
    if (isAlias(node)) return this.alias(node, level);
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return LEAF;
    if (node.anchor) this.anchors.set(node.anchor, node);
    if (isScalar(node)) {
      this.scalar(node);
      return LEAF;
    }
    if (level > this.limits.maxDepth) {
      if (!this.depthReported) {
        this.depthReported = true;
        this.report(node, `nested more than ${this.limits.maxDepth} levels deep; flatten this value`);
      }
      return { size: 1, depth: 1 };
    }
    this.open.add(node);
    let size = 1;
    let depth = 0;
    const add = (measure: Measure) => {
      size += measure.size;
      depth = Math.max(depth, measure.depth);
    };
    const keys = isMap(node) ? new Set<string>() : undefined;
    for (const item of node.items) {
      if (isPair(item)) {
        this.key(item.key, keys);
        add(this.walk(item.key, level + 1));
        if (this.merge && isMergeKey(item.key)) this.mergeSources(item.value);
        add(this.walk(item.value, level + 1));
      } else {
        add(this.walk(item, level + 1));
      }
      if (this.full) break;
    }
    this.open.delete(node);
    const measure = { size, depth: depth + 1 };
    this.measured.set(node, measure);
    return measure;
  }

  /** Keys are names: a mapping or a list as a key (`? [a, b]: 1`) has no place in a configuration. */
  private key(key: unknown, keys: Set<string> | undefined): void {
    const resolved = isAlias(key) ? this.anchors.get(key.source) : key;
    if (isMap(resolved) || isSeq(resolved)) {
      this.report(key as Node, "a key must be a name, not a mapping or a list; write `name: value`");
      return;
    }
    // Compared as the data will hold them (`1` and "1" are one key), in one pass: the library's own
    // `uniqueKeys` compares each key with every earlier one, slow for a mapping of thousands.
    if (!keys || !isScalar(resolved) || isMergeKey(resolved)) return;
    const name = String(resolved.value);
    if (keys.has(name)) {
      const shown = name.length > 60 ? `${name.slice(0, 57)}...` : name;
      this.report(
        key as Node,
        `key ${JSON.stringify(shown)} is written twice in this mapping; keep one of them`,
      );
    }
    keys.add(name);
  }

  private scalar(node: Scalar): void {
    const value = node.value;
    if (typeof value === "string" && value.length > this.limits.maxScalarLength) {
      this.report(
        node,
        `this value is ${value.length} characters long; a value may have at most ${this.limits.maxScalarLength} (put long content in a file and refer to it)`,
      );
    }
  }

  private alias(node: { source: string; range?: readonly number[] | null }, level: number): Measure {
    const target = this.anchors.get(node.source);
    if (target === undefined) {
      this.report(
        node,
        `alias *${node.source} refers to no anchor; define \`&${node.source}\` on a value above this line, or write the value here`,
      );
      return LEAF;
    }
    if (this.open.has(target)) {
      this.report(
        node,
        `alias *${node.source} is inside the value its anchor &${node.source} marks, so it would never end; refer to another value`,
      );
      return LEAF;
    }
    const measure = this.measured.get(target) ?? LEAF;
    this.expansion += measure.size;
    if (this.expansion > this.limits.maxAliasExpansion && !this.expansionReported) {
      this.expansionReported = true;
      this.report(
        node,
        `aliases expand to more than ${this.limits.maxAliasExpansion} values; write the repeated parts out, or use \`defaults\``,
      );
    }
    if (level - 1 + measure.depth > this.limits.maxDepth && !this.depthReported) {
      this.depthReported = true;
      this.report(
        node,
        `alias *${node.source} nests values more than ${this.limits.maxDepth} levels deep; flatten the anchored value`,
      );
    }
    return measure;
  }

  /** A merge key's value: a mapping, an alias of one, or a list of those. */
  private mergeSources(value: unknown): void {
    const sources = isSeq(value) ? value.items : [value];
    for (const source of sources) {
      const resolved = isAlias(source) ? this.anchors.get(source.source) : source;
      if (isAlias(source) && resolved === undefined) continue; // reported as an unknown alias
      if (!isMap(resolved)) {
        this.report(
          (source as Node | null) ?? { range: (value as Node | null)?.range ?? null },
          "`<<` merges mappings: write `<<: *name` where `&name` marks a mapping (or a list of such aliases)",
        );
      }
    }
  }
}

/** A `<<` key; with merge keys on, the library reads it as a symbol. */
export function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  if (typeof key.value === "symbol") return key.value.description === MERGE_KEY;
  return key.value === MERGE_KEY && (key.type === undefined || key.type === Scalar.PLAIN);
}

/** The problems of `document`'s structure, at most `limits.maxIssues` of them, in document order. */
export function structureProblems(
  document: Document,
  limits: Pick<InputLimits, "maxScalarLength" | "maxDepth" | "maxAliasExpansion" | "maxIssues">,
  options: { merge: boolean },
): StructureProblem[] {
  const walker = new Walker(limits, options.merge);
  walker.walk(document.contents, 1);
  return walker.problems;
}
