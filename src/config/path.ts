/** A path into the configuration document, and a problem found at one. */

/** One step of a path: a key, or an index into a list. */
export type PathSegment = string | number;

/** `services.api.strategy.canary.steps[2]` */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

/** A problem that a check across fields or services found at a path of the defaults-merged document. */
export interface CrossFieldProblem {
  path: PathSegment[];
  message: string;
  /** Point at the key (the section is what is wrong, not its contents). */
  atKey?: boolean;
}
