// Builds the router's native data plane (native/router/*.cc) with node-gyp, the one bundled with npm.
// The addon is optional: when it cannot be built, this warns and exits 0, and the router uses its JS fast path.
// Usage: node native/router/build.mjs   (run by `npm run build:native`, itself run by `npm run build`)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const prefix = dirname(dirname(process.execPath));

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(prefix, "lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    join(dirname(process.execPath), "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
  ];
  return candidates.find((path) => path && existsSync(path));
}

function warn(message) {
  process.stderr.write(`build:native: WARNING: ${message}; the router will use its JS fast path\n`);
  process.exit(0);
}

if (process.env.TANDEM_ROUTER_NATIVE === "0") {
  process.stderr.write("build:native: skipped (TANDEM_ROUTER_NATIVE=0)\n");
  process.exit(0);
}
const gyp = nodeGyp();
if (gyp === undefined) warn("node-gyp (bundled with npm) was not found");
const args = [gyp, "rebuild", "--directory", here, "--loglevel", "warn"];
// Node's own headers when they sit next to its binary (Debian's /usr/include/node, official tarballs):
// then nothing is downloaded.
if (existsSync(join(prefix, "include/node/node_api.h"))) args.push(`--nodedir=${prefix}`);
const result = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], timeout: 300_000 });
if (result.status !== 0) warn(`node-gyp failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
if (!existsSync(join(here, "build/Release/tandem_router.node"))) warn("node-gyp produced no tandem_router.node");
process.stderr.write("build:native: built native/router/build/Release/tandem_router.node\n");
