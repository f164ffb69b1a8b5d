import { ensureDebianProgram } from "../../../test/helpers/debian-program.js";
import type { NginxConfigSettings } from "./config-text.js";

/** A real nginx binary for tests (Debian's package, installed when missing). */
export const ensureNginx = (): Promise<string> => ensureDebianProgram("nginx");

/** Settings for rendering configurations in tests. */
export const SETTINGS: NginxConfigSettings = {
  name: "shop/staging/api",
  prefix: "/var/lib/tandem/nginx/staging.api",
  host: "127.0.0.1",
  listen: 8080,
  adminPort: 9901,
  workerProcesses: 1,
  clientKeepaliveMs: 0,
  generation: 7,
};
