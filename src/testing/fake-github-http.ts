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

/** The jobs of a run as GitHub lists them: one job whose steps publish `outputs` by their names. */
export function jobsOf(
  runId: number,
  status: string,
  conclusion: string | null,
  outputs: Record<string, string>,
) {
  const steps = [
    { name: "Set up job", status: "completed", conclusion: "success", number: 1 },
    { name: "Deploy", status, conclusion, number: 2 },
    ...Object.entries(outputs).map(([key, value], index) => ({
      name: `tandem-output ${key}=${value}`,
      status: "completed",
      conclusion: "success",
      number: index + 3,
    })),
  ];
  return {
    total_count: 1,
    jobs: [{ id: runId * 10, run_id: runId, name: "deploy", status, conclusion, steps }],
  };
}
