import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { RouterError } from "../../core/errors.js";

const INSTALL_HINT =
  "install nginx (Debian/Ubuntu: sudo apt-get install nginx), or set router.nginx to the path of its binary";
const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];
const RUN_TIMEOUT_MS = 30_000;

/** The nginx binary to run: the configured path, else `nginx` on PATH, else the usual sbin directories. */
export function findNginx(configured: string | undefined, path = process.env.PATH ?? ""): string {
  if (configured !== undefined) {
    if (isExecutable(configured)) return configured;
    throw new RouterError(`nginx binary ${configured} (router.nginx) does not exist or is not executable`, {
      hint: INSTALL_HINT,
    });
  }
  const candidates = [...path.split(delimiter).filter((dir) => dir !== ""), ...FALLBACK_DIRS];
  for (const dir of candidates) {
    const file = join(dir, "nginx");
    if (isExecutable(file)) return file;
  }
  throw new RouterError("nginx was not found on PATH nor in /usr/sbin or /usr/local/sbin", {
    hint: INSTALL_HINT,
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface NginxRun {
  code: number | null;
  /** What nginx printed on stderr (it reports everything there). */
  output: string;
}

/**
 * Runs nginx with `args` (no shell) and resolves when the process exits. A daemonizing nginx exits once
 * its master runs in the background, so this waits for the exit, not for the pipes to close.
 */
export function runNginx(binary: string, args: string[], signal: AbortSignal): Promise<NginxRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"], signal });
    let output = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      if (signal.aborted) return reject(signal.reason);
      reject(
        new RouterError(`could not run ${binary}: ${error.message}`, { cause: error, hint: INSTALL_HINT }),
      );
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      // The daemon may hold the pipe open; what was printed before the exit is what matters.
      setImmediate(() => {
        child.stderr?.destroy();
        resolve({ code, output: output.trim() });
      });
    });
  });
}

/** `nginx -t` on a configuration; throws a RouterError carrying nginx's own message when it is refused. */
export async function testConfig(
  binary: string,
  prefix: string,
  confFile: string,
  signal: AbortSignal,
): Promise<void> {
  const run = await runNginx(binary, ["-t", "-q", ...prefixArgs(prefix, confFile)], signal);
  if (run.code !== 0) {
    throw new RouterError(`nginx refused the generated configuration: ${emergLines(run.output)}`, {
      hint: "the running nginx keeps serving its previous configuration; fix the route table or the router settings",
    });
  }
}

/** `-p PREFIX/ -c CONF -e ERRORLOG`: everything relative to the router's own prefix, nothing under /etc. */
export function prefixArgs(prefix: string, confFile: string): string[] {
  const withSlash = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return ["-p", withSlash, "-c", confFile, "-e", join(withSlash, "logs/error.log")];
}

/** The lines of nginx's output that say what is wrong (all of it when none is marked). */
export function emergLines(output: string): string {
  const marked = output.split("\n").filter((line) => /\[(emerg|alert|crit)\]/.test(line));
  return (marked.length > 0 ? marked : [output]).join("; ").replace(/^nginx: /, "");
}
