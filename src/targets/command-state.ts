import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { safeSegment } from "./instance-id.js";

/**
 * What became of the `deploy` command of one version, kept in a small JSON file under the state
 * directory so that an engine that restarts (or another process: `tandem status`) knows it.
 */
export type DeployState =
  | { phase: "deploying"; startedAt: number; pid?: number }
  | {
      phase: "deployed" | "failed";
      startedAt: number;
      finishedAt: number;
      code: number | null;
      message: string;
      output: string;
    };

export interface DeployFiles {
  state: string;
  log: string;
}

/** `<stateDir>/command/<environment>/<service>/<version>.json` and the `.log` next to it. */
export function deployFiles(
  stateDir: string,
  environment: string,
  service: string,
  version: string,
): DeployFiles {
  const dir = path.join(stateDir, "command", safeSegment(environment), safeSegment(service));
  const base = path.join(dir, safeSegment(version));
  return { state: `${base}.json`, log: `${base}.log` };
}

export function readDeployState(files: DeployFiles): DeployState | undefined {
  try {
    return JSON.parse(readFileSync(files.state, "utf8")) as DeployState;
  } catch {
    return undefined;
  }
}

/** Written whole to a temporary file, then renamed: a reader never sees half a state. */
export function writeDeployState(files: DeployFiles, state: DeployState): void {
  mkdirSync(path.dirname(files.state), { recursive: true });
  const temporary = `${files.state}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`);
  renameSync(temporary, files.state);
}

export function forgetDeploy(files: DeployFiles): void {
  rmSync(files.state, { force: true });
}
