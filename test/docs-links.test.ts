import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** Every relative link in README.md and docs/**\/*.md points at a file (and heading) that exists. */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(text: string): string {
  return text
    .replace(/^```[\s\S]*?^```/gm, "")
    .replace(/``[^`\n]*``/g, "")
    .replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of text.replace(/^```[\s\S]*?^```/gm, "").split("\n")) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = (match[1] ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

const files = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];

describe("documentation links", () => {
  it.each(files.map((file) => [relative(ROOT, file), file]))(
    "%s links only to what exists",
    (_name, file) => {
      const text = readFileSync(file, "utf8");
      const broken: string[] = [];
      for (const match of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1] ?? "";
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = "", fragment] = target.split("#", 2);
        const resolved = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(resolved)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (fragment && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(fragment)) {
          broken.push(`${target}: no heading #${fragment}`);
        }
      }
      expect(broken).toEqual([]);
    },
  );

  it("docs/README.md lists every page under docs/", () => {
    const index = readFileSync(join(ROOT, "docs", "README.md"), "utf8");
    const listed = new Set(
      [...index.matchAll(/\]\(([^)#\s]+)/g)].map((m) => resolve(ROOT, "docs", m[1] ?? "")),
    );
    const missing = markdownFiles(join(ROOT, "docs"))
      .filter((file) => !file.endsWith(join("docs", "README.md")) && !listed.has(file))
      .map((file) => relative(ROOT, file));
    expect(missing).toEqual([]);
  });
});
