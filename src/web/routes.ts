/** Pages are routed by the URL's hash (`#/releases/ID`), so the server only serves `/`. */

export type Route =
  | { page: "releases" }
  | { page: "release"; id: string }
  | { page: "registry" }
  | { page: "delivery" };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "");
  const release = /^\/releases\/([A-Za-z0-9._-]{1,100})$/.exec(path);
  if (release) return { page: "release", id: release[1]! };
  if (path === "/registry") return { page: "registry" };
  if (path === "/delivery") return { page: "delivery" };
  return { page: "releases" };
}

export function routeHref(route: Route): string {
  return route.page === "release" ? `#/releases/${encodeURIComponent(route.id)}` : `#/${route.page}`;
}
