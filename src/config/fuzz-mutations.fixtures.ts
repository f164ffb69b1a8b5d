/**
 * Deterministic mutations of a YAML text for fuzz tests: byte flips, truncation, aliases, anchors,
 * merge keys, nesting, duplicated lines, huge scalars, indentation, alias bombs, extra documents.
 * The same seed gives the same texts, so a failure can be replayed from its seed and index.
 */
import { seeded as seededRandom } from "../analysis/stats/random.js";

export interface Mutation {
  name: string;
  text: string;
}

type Random = () => number;
type Mutator = (text: string, random: Random) => string;

const SPECIAL = [..."*&<>|{}[],:#!%@'\"-? \n\t\r\\`~", "\u0000", "\u00e9", "\ufeff", "\u2028", "\ud800"];
const NAMES = ["a", "l", "nope", "sim", "base", "x"];

const int = (random: Random, max: number) => Math.floor(random() * max);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

function lines(text: string): string[] {
  return text.split("\n");
}

/** A line index and that line's indentation. */
function someLine(text: string, random: Random): { all: string[]; index: number; indent: string } {
  const all = lines(text);
  const index = int(random, all.length);
  const indent = /^ */.exec(all[index] ?? "")![0];
  return { all, index, indent };
}

function insertLine(text: string, random: Random, make: (indent: string) => string): string {
  const { all, index, indent } = someLine(text, random);
  all.splice(index, 0, make(indent));
  return all.join("\n");
}

function insertAt(text: string, random: Random, piece: string): string {
  const at = int(random, text.length + 1);
  return text.slice(0, at) + piece + text.slice(at);
}

function bomb(random: Random): string {
  const width = 2 + int(random, 9);
  const levels = [`l0: &l0 [${Array.from({ length: width }, () => "lol").join(", ")}]`];
  for (let level = 1; level < 3 + int(random, 8); level++) {
    levels.push(
      `l${level}: &l${level} [${Array.from({ length: width }, () => `*l${level - 1}`).join(", ")}]`,
    );
  }
  return levels.join("\n");
}

const MUTATORS: Record<string, Mutator> = {
  flipByte: (text, random) => {
    const at = int(random, text.length);
    const char = random() < 0.5 ? pick(random, SPECIAL) : String.fromCharCode(int(random, 0x3000));
    return text.slice(0, at) + char + text.slice(at + 1);
  },
  deleteRange: (text, random) => {
    const at = int(random, text.length);
    return text.slice(0, at) + text.slice(at + 1 + int(random, 40));
  },
  truncate: (text, random) => text.slice(0, int(random, text.length)),
  alias: (text, random) =>
    random() < 0.5
      ? insertLine(text, random, (indent) => `${indent}${pick(random, NAMES)}: *${pick(random, NAMES)}`)
      : insertAt(text, random, ` *${pick(random, NAMES)}`),
  anchor: (text, random) => {
    const name = pick(random, NAMES);
    const anchored = insertAt(text, random, ` &${name} `);
    return random() < 0.7 ? insertAt(anchored, random, ` *${name}`) : anchored;
  },
  selfReference: (text, random) => {
    const name = pick(random, NAMES);
    return insertLine(
      text,
      random,
      (indent) => `${indent}${name}x: &${name} { self: *${name}, more: [*${name}] }`,
    );
  },
  mergeKey: (text, random) => {
    const withAnchor = random() < 0.5 ? insertAt(text, random, ` &${pick(random, NAMES)} `) : text;
    const source =
      random() < 0.3 ? `[*${pick(random, NAMES)}, *${pick(random, NAMES)}]` : `*${pick(random, NAMES)}`;
    return insertLine(withAnchor, random, (indent) => `${indent}<<: ${source}`);
  },
  deepFlow: (text, random) => {
    const depth = pick(random, [10, 63, 64, 65, 200, 300, 5_000, 50_000]);
    const balanced = random() < 0.7;
    return insertAt(text, random, `${"[".repeat(depth)}${balanced ? "]".repeat(depth) : ""}`);
  },
  deepBlock: (text, random) => {
    const depth = pick(random, [20, 70, 300, 1_200]);
    const block = Array.from({ length: depth }, (_, level) => `${" ".repeat(level)}k${level}:`).join("\n");
    return `${text}\n${block} 1\n`;
  },
  duplicateLine: (text, random) => {
    const { all, index } = someLine(text, random);
    all.splice(index, 0, all[index] ?? "");
    return all.join("\n");
  },
  hugeScalar: (text, random) => {
    const length = pick(random, [1_000, 5_000, 70_000, 200_000]);
    return insertLine(text, random, (indent) => `${indent}note: ${"x".repeat(length)}`);
  },
  indentation: (text, random) => {
    const { all, index } = someLine(text, random);
    all[index] = " ".repeat(int(random, 12)) + (all[index] ?? "").trimStart();
    return all.join("\n");
  },
  tab: (text, random) => insertAt(text, random, "\t"),
  aliasBomb: (text, random) => `${text}\n${bomb(random)}\n`,
  secondDocument: (text, random) => insertLine(text, random, () => (random() < 0.5 ? "---" : "...")),
  notAMap: (text, random) =>
    pick(random, ["- a\n- b\n", "just text\n", "42\n", "", "# only a comment\n", "~\n"]) +
    (random() < 0.2 ? text : ""),
  tag: (text, random) =>
    insertAt(
      text,
      random,
      ` ${pick(random, ["!!binary", "!!set", "!!omap", "!custom", "!!int", "!!map", "!!seq", "!!str"])} `,
    ),
  directive: (text, random) =>
    `${pick(random, ["%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "%YAML 9.9\n---\n"])}${text}`,
  jsonKey: (text, random) =>
    insertLine(
      text,
      random,
      (indent) =>
        `${indent}${pick(random, ["__proto__", "constructor", "prototype", "toString", "? [a, b]", "? {a: 1}", '"\\u0000"', "1", "null", "true"])}: ${pick(random, ["{}", "[]", "1", "x", "{polluted: true}"])}`,
    ),
};

export const MUTATION_NAMES = Object.keys(MUTATORS);

/** `count` mutations of `text`, each applying one to three mutators in a row. */
export function* mutations(text: string, seed: number, count: number): Generator<Mutation> {
  const random = seededRandom(seed);
  for (let index = 0; index < count; index++) {
    let mutated = text;
    const names: string[] = [];
    for (let step = 0; step < 1 + int(random, 3); step++) {
      const name = pick(random, MUTATION_NAMES);
      names.push(name);
      mutated = MUTATORS[name]!(mutated, random);
    }
    yield { name: `#${index} ${names.join("+")}`, text: mutated };
  }
}
