import { ConfigError, type ConfigIssue } from "../core/errors.js";
import { parseConfig } from "./loader.js";

export const FILE = "/project/tandem.yaml";

/** The issues a configuration text produces, as `line:column path: message` (the file is always FILE). */
export function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, FILE, { env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map(describe);
  }
  throw new Error("expected the configuration to be rejected");
}

function describe(issue: ConfigIssue): string {
  if (issue.file !== FILE) throw new Error(`issue in unexpected file ${issue.file}`);
  return `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`;
}

/** Strips the common indentation of a template literal, so YAML in tests reads naturally. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const joined = strings.reduce(
    (text, part, index) => text + part + (index < values.length ? String(values[index]) : ""),
    "",
  );
  const text = joined.replace(/^\n/, "");
  const indents = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => /^ */.exec(line)![0].length);
  const indent = Math.min(...indents);
  return text
    .split("\n")
    .map((line) => line.slice(indent))
    .join("\n");
}
