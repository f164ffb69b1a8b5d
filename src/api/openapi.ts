/**
 * What the OpenAPI document says of every operation beyond its route's own schema: an
 * `operationId` (from the method and path: GET /api/v1/releases/:id/events → getReleaseEvents… ),
 * a tag (the first path segment under the API prefix) and a description on every response.
 */

const STATUS_TEXT: Record<string, string> = {
  "200": "the result",
  "201": "created",
  "202": "accepted: the engine acts on it",
  "204": "done, nothing to return",
  "400": "invalid request (TANDEM_ERR_INVALID_REQUEST, TANDEM_ERR_CONFIG)",
  "401": "no valid token (TANDEM_ERR_UNAUTHENTICATED)",
  "403": "the token's role or environments do not allow it (TANDEM_ERR_FORBIDDEN, TANDEM_ERR_NOT_ALLOWED)",
  "404": "no such release or resource (TANDEM_ERR_NOT_FOUND)",
  "409": "conflicts with the current state (TANDEM_ERR_RELEASE_ACTIVE, TANDEM_ERR_CAS_CONFLICT)",
  "413": "request body too large",
  "429": "too many requests",
  "500": "unexpected error",
  "503": "the server cannot serve it now",
};

function words(path: string, prefix: string): string[] {
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
  return rest
    .split("/")
    .filter(Boolean)
    .map((segment) => (segment.startsWith(":") ? `by-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
}

export function operationId(method: string, path: string, prefix: string): string {
  const parts = [method.toLowerCase(), ...words(path, prefix)];
  return parts.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join("");
}

export function operationTag(path: string, prefix: string): string {
  const first = path.startsWith(prefix) ? path.slice(prefix.length).split("/").find(Boolean) : undefined;
  const tag = first && !first.startsWith(":") ? first : (path.split("/").find(Boolean) ?? "api");
  return tag
    .replace(/\.json$/, "")
    .replace(/[^a-z-]+/gi, "-")
    .toLowerCase();
}

type Schema = Record<string, unknown>;

/** The `transform` option of @fastify/swagger. */
export function openapiTransform(prefix: string) {
  return ({
    schema: input,
    url,
    route,
  }: {
    schema: object;
    url: string;
    route: { method: string | string[] };
  }) => {
    const schema = input as Schema;
    const method = Array.isArray(route.method) ? route.method[0]! : route.method;
    const responses = { ...((schema?.response as Record<string, Schema> | undefined) ?? {}) };
    if (Object.keys(responses).length === 0) responses["200"] = {};
    for (const [status, response] of Object.entries(responses)) {
      if (!response.description) {
        responses[status] = { ...response, description: STATUS_TEXT[status] ?? `status ${status}` };
      }
    }
    return {
      schema: {
        ...schema,
        operationId: (schema?.operationId as string | undefined) ?? operationId(method, url, prefix),
        tags: (schema?.tags as string[] | undefined) ?? [operationTag(url, prefix)],
        response: responses,
      },
      url,
    };
  };
}
