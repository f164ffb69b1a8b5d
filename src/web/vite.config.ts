import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The dashboard: src/web built into dist/web, which `tandem serve` serves at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../../dist/web", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: true,
    target: "es2022",
    // No inline scripts: the page's content security policy allows only its own files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
