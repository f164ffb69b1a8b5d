/**
 * The dashboard's API client: every request sends `Authorization: Bearer` (the token never goes into a
 * URL, except the event stream's, which EventSource cannot give headers). A refusal keeps the server's
 * own message, so the person reads why.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const API = "/api/v1";

export async function apiRequest<T>(
  token: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "NETWORK", `the server did not answer: ${String(error)}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; hint?: string } } | undefined)
      ?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? (text.slice(0, 300) || response.statusText),
      error?.hint,
    );
  }
  return parsed as T;
}

/** The event stream's URL: the one place the token goes into a URL (and the server redacts it from logs). */
export function streamUrl(token: string, options: { release?: string; after?: number } = {}): string {
  const query = new URLSearchParams();
  if (options.release) query.set("release", options.release);
  if (options.after !== undefined && options.after > 0) query.set("after", String(options.after));
  query.set("access_token", token);
  return `${API}/events/stream?${query.toString()}`;
}
