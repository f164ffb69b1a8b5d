import type { IncomingMessage, ServerResponse } from "node:http";

/** HTTP plumbing of the fake GitHub (src/testing/fake-github.ts). */

/** GitHub's timestamps: ISO 8601 to the second. */
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const seconds = (ms: number) => Math.floor(ms / 1000);

export function fail(message: string): never {
  throw new Error(message);
}

export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function reply(
  res: ServerResponse,
  status: number,
  data: unknown,
  headers: Record<string, string> = {},
): void {
  const body = data === undefined || status === 204 ? "" : JSON.stringify(data);
  res.writeHead(status, {
    ...headers,
    ...(body ? { "content-type": "application/json; charset=utf-8" } : {}),
    "x-github-api-version-selected": "2022-11-28",
  });
  res.end(body);
}
