import type { PathSegment } from "./path.js";

/**
 * Where a `${secret:NAME}` may not be written: in a command line (a hook's or a probe's `command`, a
 * process target's `command`, a command target's `deploy`/`setWeight`/… — with or without a shell)
 * or a working directory. A value there would be in the program's argv, which any user of the machine
 * sees in `ps` and `/proc/<pid>/cmdline`, and in Tandem's job and state files. A secret goes to the
 * program through `env:` instead, and the program reads `$NAME`.
 */

const COMMAND_TARGET_ACTIONS = new Set(["deploy", "setWeight", "promote", "rollback", "teardown", "status"]);
/** Maps whose keys are the user's own names: `env: { command: … }` is an environment variable. */
const USER_MAPS = new Set(["env", "headers", "inputs", "metadata", "vars"]);

export interface PlacementProblem {
  path: PathSegment[];
  message: string;
}

type Place = "command" | "cwd";

function placeOf(path: PathSegment[]): Place | undefined {
  for (let index = 0; index < path.length; index++) {
    const segment = path[index];
    if (typeof segment !== "string") continue;
    if (USER_MAPS.has(segment)) return undefined;
    const rest = path.slice(index + 1);
    const leaf = rest.length === 0 || (rest.length === 1 && typeof rest[0] === "number");
    if (!leaf) continue;
    if (segment === "command") return "command";
    if (segment === "cwd") return "cwd";
    if (COMMAND_TARGET_ACTIONS.has(segment) && path[index - 1] === "target") return "command";
  }
  return undefined;
}

/** One located problem for each `${secret:}` written in a command line or a working directory. */
export function secretPlacementProblems(secretPaths: PathSegment[][]): PlacementProblem[] {
  const problems: PlacementProblem[] = [];
  for (const path of secretPaths) {
    const place = placeOf(path);
    if (place === "command") {
      problems.push({
        path,
        message:
          `a \${secret:} value must not be part of a command line: it would show in \`ps\` and in ` +
          `Tandem's files. Pass it through env (env: { NAME: "\${secret:NAME}" }) and read $NAME in ` +
          "the program or script",
      });
    } else if (place === "cwd") {
      problems.push({ path, message: `a \${secret:} value cannot be part of a working directory` });
    }
  }
  return problems;
}
