/**
 * A cheap over-estimate of how deep a YAML text nests, read before the YAML parser sees it: the
 * parser recurses once per level and overflows the stack (slowly, and V8 may not recover well) a
 * few hundred levels down, so a text that might nest that deep is refused first. The exact limit
 * (`maxDepth`) is checked on the parsed document; this only has to be safe and never miss.
 *
 * Counted per line: block levels (distinct indentations still open, plus compact `- ` and `? `
 * indicators at the start of the line) and flow brackets still open (`[`, `{`). Brackets inside
 * quoted strings are counted too, so the estimate can only be too high.
 */

/** The offset where the estimate first passes `limit`, or undefined when it never does. */
export function tooDeepAt(text: string, limit: number): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    let index = lineStart;
    while (index < lineEnd && (text[index] === " " || text[index] === "\t")) index++;
    const blank = index === lineEnd || text[index] === "#" || text[index] === "\r";
    let block = indents.length;
    if (!blank && flow === 0) {
      const indent = index - lineStart;
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      block = indents.length;
      while (
        (text[index] === "-" || text[index] === "?") &&
        (text[index + 1] === " " || text[index + 1] === "\t")
      ) {
        block++;
        index += 2;
        while (text[index] === " " || text[index] === "\t") index++;
      }
      if (block > limit) return index;
    }
    for (; index < lineEnd && !blank; index++) {
      const char = text[index];
      if (char === "[" || char === "{") {
        flow++;
        if (block + flow > limit) return index;
      } else if (char === "]" || char === "}") {
        flow = Math.max(0, flow - 1);
      } else if (char === "#" && (text[index - 1] === " " || text[index - 1] === "\t")) {
        break;
      }
    }
    lineStart = lineEnd + 1;
  }
  return undefined;
}
