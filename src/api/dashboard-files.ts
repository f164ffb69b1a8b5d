import { stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { NotFoundError } from "../core/errors.js";

/**
 * The web dashboard's built files (`npm run build` writes them to dist/web), served without a token:
 * the page holds no data; everything it shows comes from the API with the token the person pastes.
 * `/` is index.html (never cached: it names the current assets); `/assets/NAME` are Vite's hashed
 * files (cached for a year). Pages are routed in the browser (`/#/releases/ID`). The files are sent by
 * @fastify/static (streamed, with ETag and Last-Modified, conditional and range requests); Tandem keeps
 * its own two routes so that every route stays in src/api/permissions.ts and a bad name answers the API's 404.
 */

/** dist/web beside dist/api (from src/api too: both are two levels under the package root). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** The page may load its own scripts and styles and talk to its own origin only. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  // The event stream's URL carries the token: no page URL is ever sent to another origin.
  "referrer-policy": "no-referrer",
};

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function notBuilt(reply: FastifyReply, root: string): FastifyReply {
  return reply
    .code(503)
    .header("content-type", "text/plain; charset=utf-8")
    .header("cache-control", "no-store")
    .send(
      `The Tandem dashboard is not built: ${root} has no index.html.\n` +
        "Run `npm run build` (it builds the dashboard into dist/web), then reload this page.\n" +
        "The API under /api/v1 works without it.\n",
    );
}

/** GET / and GET /assets/*, from `root` (read on each request, so a rebuild shows without a restart). */
export async function registerDashboardRoutes(
  app: FastifyInstance,
  root: string = DEFAULT_WEB_ROOT,
): Promise<void> {
  // serve: false: no routes of its own, only reply.sendFile; the folder may not exist yet (503 below).
  await app.register(fastifyStatic, {
    root,
    serve: false,
    index: false,
    dotfiles: "deny",
    // Tandem's own types and cache headers (CONTENT_TYPES, no-cache for the page, a year for assets).
    contentType: false,
    cacheControl: false,
  });
  app.get("/", { schema: { hide: true } }, async (_request, reply) => {
    const index = join(root, "index.html");
    if (!(await isFile(index))) return notBuilt(reply, root);
    return reply
      .headers(SECURITY_HEADERS)
      .header("content-type", CONTENT_TYPES[".html"])
      .header("cache-control", "no-cache")
      .sendFile("index.html", root);
  });

  app.get<{ Params: { "*": string } }>("/assets/*", { schema: { hide: true } }, async (request, reply) => {
    const name = request.params["*"];
    // One plain file name: no folder, no `..`, nothing to escape the assets folder with.
    const file = join(root, "assets", name);
    if (!ASSET_NAME.test(name) || name.includes("..") || !(await isFile(file))) {
      throw new NotFoundError(`dashboard asset ${name.slice(0, 100)}`);
    }
    return reply
      .headers(SECURITY_HEADERS)
      .header("content-type", contentTypeOf(name))
      .header("cache-control", "public, max-age=31536000, immutable")
      .sendFile(name, join(root, "assets"));
  });
}
